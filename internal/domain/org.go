package domain

import "time"

// Department is one of the institute's departments (SPEC ORG-1).
type Department struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	NameZH    string    `json:"name_zh"`
	NameEN    string    `json:"name_en"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Person is a member of the institute and, when active with a password, a user.
type Person struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Phone        string    `json:"phone"`
	DepartmentID int64     `json:"department_id,omitempty"`
	HiredOn      string    `json:"hired_on,omitempty"` // YYYY-MM-DD
	Lang         string    `json:"lang,omitempty"`     // "zh" or "en"; empty follows the browser
	Active       bool      `json:"active"`
	Grants       []Grant   `json:"roles"`
	Rank         Rank      `json:"rank,omitempty"` // current rank, from the rank history
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// RankEntry is one line of a person's rank history (SPEC ORG-3, ORG-4).
type RankEntry struct {
	ID       int64  `json:"id"`
	PersonID int64  `json:"person_id"`
	Rank     Rank   `json:"rank"`
	Since    string `json:"since"` // YYYY-MM-DD
	Note     string `json:"note,omitempty"`
}

// RoleGrant is a role held (or once held) by a person, with who granted and
// revoked it and when (COMPLIANCE R13).
type RoleGrant struct {
	ID           int64     `json:"id"`
	PersonID     int64     `json:"person_id"`
	Role         Role      `json:"role"`
	DepartmentID int64     `json:"department_id,omitempty"`
	GrantedAt    time.Time `json:"granted_at"`
	GrantedBy    int64     `json:"granted_by"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokedBy    int64     `json:"revoked_by,omitempty"`
}

// Attachment is the metadata of a stored file; the bytes live in the blob
// store under their SHA-256.
type Attachment struct {
	ID          int64     `json:"id"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	Name        string    `json:"name"`
	UploadedBy  int64     `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Entity      string    `json:"entity,omitempty"`
	EntityID    string    `json:"entity_id,omitempty"`
}
