-- Databases made before the projects-and-models app took the label "models" (it was "esdlmodels"):
-- move its tables, content types and migration records to the new label before `migrate` runs.
-- Idempotent: does nothing on a new database or one already moved.
DO $$
DECLARE
  t record;
BEGIN
  IF to_regclass('public.django_migrations') IS NULL THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM django_migrations WHERE app = 'esdlmodels') THEN
    RETURN;
  END IF;
  FOR t IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public' AND tablename LIKE 'esdlmodels\_%' LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t.tablename,
                   'models_' || substr(t.tablename, length('esdlmodels_') + 1));
  END LOOP;
  UPDATE django_content_type SET app_label = 'models' WHERE app_label = 'esdlmodels';
  UPDATE django_migrations SET app = 'models' WHERE app = 'esdlmodels';
END $$;
