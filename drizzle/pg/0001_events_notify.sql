-- Every stored event is announced on the `workdeck_events` channel with its id (issue 14).
-- From a trigger, so every writer announces (a server, a one-shot CLI ingest), and NOTIFY is
-- delivered only when the writing transaction commits: a rolled-back event is never announced.
CREATE FUNCTION workdeck_announce_event() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('workdeck_events', NEW.id::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER events_announce AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION workdeck_announce_event();
