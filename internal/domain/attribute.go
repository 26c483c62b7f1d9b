package domain

// A person's employment attributes (SPEC REL-3: probation, confirmation
// 转正), set by processes' built-in effects (set_person) or the
// administrator, and kept as a history: each change is an
// AttributeEntry, the latest of an attribute being its value.

// AttributeType is how an attribute's value is written.
type AttributeType string

// The attribute types.
const (
	AttrChoice AttributeType = "choice" // one of Choices
	AttrDate   AttributeType = "date"   // YYYY-MM-DD
	AttrRank   AttributeType = "rank"   // a Rank: recorded in the rank history
)

// AttributeDef is one attribute a definition may set.
type AttributeDef struct {
	Type    AttributeType
	Choices []string
}

// The employment attributes.
const (
	AttrEmploymentStatus = "employment_status" // probation, confirmed, extended, left
	AttrProbationEndsOn  = "probation_ends_on"
	AttrConfirmedOn      = "confirmed_on"
	AttrRankKey          = "rank"
)

// Attributes are the person attributes processes may set, by name.
var Attributes = map[string]AttributeDef{
	AttrEmploymentStatus: {Type: AttrChoice, Choices: []string{"probation", "confirmed", "extended", "left"}},
	AttrProbationEndsOn:  {Type: AttrDate},
	AttrConfirmedOn:      {Type: AttrDate},
	AttrRankKey:          {Type: AttrRank},
}

// AttributeEntry is one change of a person's attribute.
type AttributeEntry struct {
	ID         int64  `json:"id"`
	PersonID   int64  `json:"person_id"`
	Attribute  string `json:"attribute"`
	Value      string `json:"value"`
	InstanceID int64  `json:"instance_id,omitempty"` // the process that set it
	Note       string `json:"note,omitempty"`
	CreatedAt  string `json:"created_at"`
	CreatedBy  int64  `json:"created_by,omitempty"`
}
