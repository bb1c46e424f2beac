-- Leadership of a background role (the learner) among replicas: a session-level advisory lock
-- held on a dedicated connection. It is released when that connection ends, so a replica that
-- dies hands leadership on. The schema is part of the key, so parallel test schemas do not
-- contend.

-- name: TryLead
SELECT pg_try_advisory_lock(hashtext(?), hashtext(current_schema()));

-- name: Unlead
SELECT pg_advisory_unlock(hashtext(?), hashtext(current_schema()));
