-- Issue 10, scale: what the project lists and dashboards read of each
-- project, from indexes. A project's first unfinished node by planned end is
-- what its health and the lists' next node due are decided by; with a
-- hundred thousand nodes the lists and dashboards find it per project by
-- one step into this index instead of reading every node.
CREATE INDEX project_node_open ON project_node(project_id, planned_end, position) WHERE current = 1 AND actual_end = '';

-- The lists read each project's plan revisions' states: from this index
-- alone, not from the rows (a revision's row holds its whole content).
CREATE INDEX project_plan_state ON project_plan(project_id, revision, state);

-- The dashboards count the open tasks on a department's project records:
-- from each record's processes to their open tasks by this index, without
-- reading the many closed ones.
CREATE INDEX flow_task_open ON flow_task(instance_id) WHERE state = 'open';
