"""Assessments: cycles, assessments, ratings, proficiency resolution, gap analysis."""
