-- Tasks (docs/product.md T1, T3) and their reminders (T2).
-- Owned by src/modules/tasks; other modules go through TasksService.

CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type IN ('call', 'email', 'meeting', 'chat', 'other')),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
  notes text CHECK (length(notes) <= 20000),
  -- A customer with tasks cannot be deleted (as with cases): their contact log is not lost silently.
  customer_id uuid NOT NULL REFERENCES customers (id),
  -- Deleting a case keeps its tasks (on the customer).
  case_id uuid REFERENCES cases (id) ON DELETE SET NULL,
  assignee_id uuid NOT NULL REFERENCES users (id),
  due_at timestamptz,
  -- When the "before" reminder fires; NULL: no such reminder.
  remind_at timestamptz,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  outcome text CHECK (length(outcome) <= 4000),
  -- When it was done or cancelled (a task logged after the fact carries the time it happened).
  completed_at timestamptz,
  custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  updated_by uuid,
  CONSTRAINT tasks_completed_when_closed CHECK ((status = 'open') = (completed_at IS NULL))
);
-- "My tasks": today / overdue / upcoming (open, by due time) and done (by completion time).
CREATE INDEX tasks_assignee_due_idx ON tasks (assignee_id, status, due_at, id);
CREATE INDEX tasks_assignee_done_idx ON tasks (assignee_id, completed_at DESC, id DESC) WHERE status = 'done';
CREATE INDEX tasks_status_due_idx ON tasks (status, due_at, id);
CREATE INDEX tasks_done_idx ON tasks (completed_at DESC, id DESC) WHERE status = 'done';
CREATE INDEX tasks_due_idx ON tasks (due_at, id);
CREATE INDEX tasks_customer_idx ON tasks (customer_id, due_at, id);
CREATE INDEX tasks_case_idx ON tasks (case_id, due_at, id) WHERE case_id IS NOT NULL;

-- One row per reminder of a task: 'before' (at remind_at) and 'overdue' (at due_at).
-- pending → fired (shown, kept until the agent dismisses or snoozes it)
--         → dismissed | cancelled (task closed, rescheduled away, superseded);
-- a snooze puts a fired reminder back to pending with a later fire_at.
-- Every server process claims due pending rows with FOR UPDATE SKIP LOCKED,
-- marks them fired and writes the event in the same transaction: exactly once.
CREATE TABLE reminders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('before', 'overdue')),
  user_id uuid NOT NULL REFERENCES users (id),
  -- The time the task asks for (remind_at or due_at); fire_at moves when snoozed.
  scheduled_for timestamptz NOT NULL,
  fire_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'dismissed', 'cancelled')),
  fired_at timestamptz,
  fire_count integer NOT NULL DEFAULT 0,
  snooze_count integer NOT NULL DEFAULT 0,
  acknowledged_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reminders_task_kind_idx ON reminders (task_id, kind);
CREATE INDEX reminders_due_idx ON reminders (fire_at) WHERE state = 'pending';
CREATE INDEX reminders_active_idx ON reminders (user_id, fired_at, id) WHERE state = 'fired';
