"""Generator stages: each loads one domain of the generated organization."""
