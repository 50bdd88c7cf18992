-- Down path of 0001_events_notify.
DROP TRIGGER IF EXISTS events_announce ON events;
DROP FUNCTION IF EXISTS workdeck_announce_event();
