-- Each electronic signature keeps the exact canonical content it signed
-- (COMPLIANCE R7, R9), so that a later view can say which fields changed
-- since signing, not only that something did.
ALTER TABLE flow_signature ADD COLUMN content TEXT NOT NULL DEFAULT '';
