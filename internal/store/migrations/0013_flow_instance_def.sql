-- Step and branch conditions count the instances of a definition filed in
-- a window (count_instances) and look for a value held by another running
-- instance of it (in_use): both read one definition's rows, newest first.
CREATE INDEX flow_instance_def ON flow_instance(def_key, created_at);
