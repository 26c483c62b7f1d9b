package store

import "testing"

// Ensure the statements that write a person, a role grant, a rank or a
// token are told from those that read them or write other tables (the
// caches of people rely on it, peoplegen.go).
func TestR8_WritesPeopleTable(t *testing.T) {
	for q, want := range map[string]bool{
		"UPDATE person SET name = $1 WHERE id = $2":                  true,
		"\n\t\tupdate  person set active = 0":                        true,
		"INSERT INTO role_grant (person_id, role) VALUES ($1, $2)":   true,
		"INSERT INTO person(username) VALUES ($1)":                   true,
		"INSERT INTO rank_history (person_id, rank) VALUES ($1, $2)": true,
		"DELETE FROM api_token WHERE id = $1":                        true,
		"UPDATE api_token SET revoked_at = $1":                       true,
		"SELECT id FROM person WHERE id = $1":                        false,
		"UPDATE person_note SET x = 1":                               false,
		"INSERT INTO notice (person_id, kind) VALUES ($1, $2)":       false,
		"UPDATE flow_task SET assignee_id = $1 WHERE person = $2":    false,
		"DELETE FROM session WHERE person_id = $1":                   false,
		"WITH x AS (SELECT 1) SELECT * FROM x":                       false,
		"":                                                           false,
	} {
		if got := writesPeopleTable(q); got != want {
			t.Errorf("writesPeopleTable(%q) = %v, want %v", q, got, want)
		}
	}
}
