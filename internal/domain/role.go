package domain

// Role is a named set of rights (SPEC ORG-2). A person may hold several; some
// are scoped to a department (a director of 分析部).
type Role string

// The institute's roles (SPEC ORG-2) and the system administrator (COMPLIANCE R12).
const (
	RoleGM             Role = "gm"              // 总经理
	RoleBusinessDean   Role = "business_dean"   // 业务院长
	RoleAdminDean      Role = "admin_dean"      // 行政院长
	RoleCommittee      Role = "committee"       // 技术委员会 member
	RoleCommitteeChair Role = "committee_chair" // 技术委员会 chair (also a member)
	RoleDirector       Role = "director"        // 部门总监, department-scoped
	RoleResearcher     Role = "researcher"      // 研究员, department-scoped
	RoleAnalyst        Role = "analyst"         // 分析员, department-scoped
	RoleRegistration   Role = "registration"    // 注册专员
	RolePurchasing     Role = "purchasing"      // purchasing clerk
	RoleFinance        Role = "finance"         // finance clerk (pays, PUR-3)
	RoleSysAdmin       Role = "sysadmin"        // system administrator: no business rights (R12)
)

// Roles lists every role in display order.
var Roles = []Role{RoleGM, RoleBusinessDean, RoleAdminDean, RoleCommittee, RoleCommitteeChair,
	RoleDirector, RoleResearcher, RoleAnalyst, RoleRegistration, RolePurchasing, RoleFinance, RoleSysAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if k == r {
			return true
		}
	}
	return false
}

// Scoped reports whether the role must name a department.
func (r Role) Scoped() bool {
	return r == RoleDirector || r == RoleResearcher || r == RoleAnalyst
}

// IsBusiness reports whether the role carries business rights. The system
// administrator is the only role that does not, and nobody may hold it
// together with a business role (COMPLIANCE R12).
func (r Role) IsBusiness() bool { return r != RoleSysAdmin }

// Grant is one role held by a person, optionally scoped to a department.
type Grant struct {
	Role         Role  `json:"role"`
	DepartmentID int64 `json:"department_id,omitempty"`
}

// Rank is a researcher or analyst rank (SPEC ORG-3), lowest first.
type Rank string

// The six ranks of SPEC ORG-3, lowest to highest.
const (
	RankAssistantB Rank = "assistant_b"  // 助理研究员B
	RankAssistantA Rank = "assistant_a"  // 助理研究员A
	RankResearchB  Rank = "researcher_b" // 研究员B
	RankResearchA  Rank = "researcher_a" // 研究员A
	RankSeniorB    Rank = "senior_b"     // 高级研究员B
	RankSeniorA    Rank = "senior_a"     // 高级研究员A
)

// Ranks lists the ranks lowest to highest (SPEC ORG-3).
var Ranks = []Rank{RankAssistantB, RankAssistantA, RankResearchB, RankResearchA, RankSeniorB, RankSeniorA}

// Level returns the rank's position (0 lowest), or -1 when unknown.
func (r Rank) Level() int {
	for i, k := range Ranks {
		if k == r {
			return i
		}
	}
	return -1
}
