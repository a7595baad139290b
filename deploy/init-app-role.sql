-- The service's own role: may read and write data, may not change the schema, and is
-- subject to Row Level Security (no superuser, no BYPASSRLS).
CREATE ROLE careerpath_app LOGIN PASSWORD 'app-secret' NOSUPERUSER NOBYPASSRLS;
GRANT CONNECT ON DATABASE careerpath TO careerpath_app;
