-- Tells caching stores (PostgresStore::with_client_cache) that a client registration
-- changed: every insert, update or delete on lk_clients, by this library or by any other
-- tool, sends NOTIFY latchkey_clients with payload ["<schema>", "<client id>"] when its
-- transaction commits; a TRUNCATE sends ["<schema>", null] (every client).

CREATE OR REPLACE FUNCTION lk_clients_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('latchkey_clients', json_build_array(TG_TABLE_SCHEMA, NULL)::text);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('latchkey_clients', json_build_array(TG_TABLE_SCHEMA, OLD.id)::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('latchkey_clients', json_build_array(TG_TABLE_SCHEMA, NEW.id)::text);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS lk_clients_changed ON lk_clients;
CREATE TRIGGER lk_clients_changed AFTER INSERT OR UPDATE OR DELETE ON lk_clients
    FOR EACH ROW EXECUTE FUNCTION lk_clients_notify();

DROP TRIGGER IF EXISTS lk_clients_truncated ON lk_clients;
CREATE TRIGGER lk_clients_truncated AFTER TRUNCATE ON lk_clients
    FOR EACH STATEMENT EXECUTE FUNCTION lk_clients_notify();
