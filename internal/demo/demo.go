// Package demo loads a small, realistic institute (SPEC ORG-1..3) for
// trying LabFlow out: the seven departments, the GM and deans, a director
// per department, a five-member Technical Committee, researchers and
// analysts across all six ranks, clerks and the system administrator.
package demo

import (
	"context"
	"fmt"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// Password is the password of every demo account.
const Password = "labflow-demo"

// Login is one demo account to print for the user.
type Login struct{ Username, Name, Roles, Password string }

type dept struct{ code, zh, en string }

// departments are the seven departments of SPEC ORG-1.
var departments = []dept{
	{"synthesis", "合成部", "Synthesis"},
	{"formulation", "制剂部", "Formulation"},
	{"analytical", "分析部", "Analytical"},
	{"purchasing", "采购部", "Purchasing"},
	{"registration", "注册部", "Registration"},
	{"administration", "行政部", "Administration"},
	{"finance", "财务部", "Finance"},
}

type rankAt struct {
	rank  domain.Rank
	since string
	note  string
}

type member struct {
	username, name, dept, hired string
	roles                       []domain.Role // scoped roles take the member's department
	ranks                       []rankAt      // oldest first
}

const adminUsername = "admin"

// staff is the demo institute; the administrator comes first.
var staff = []member{
	{adminUsername, "周明", "administration", "2019-04-01", []domain.Role{domain.RoleSysAdmin}, nil},
	{"wangjianguo", "王建国", "", "2012-06-01", []domain.Role{domain.RoleGM, domain.RoleCommitteeChair}, nil},
	{"lihua", "李华", "", "2014-03-15", []domain.Role{domain.RoleBusinessDean, domain.RoleCommittee}, nil},
	{"zhaomin", "赵敏", "administration", "2015-09-01", []domain.Role{domain.RoleAdminDean}, nil},

	{"chenzhiqiang", "陈志强", "synthesis", "2015-07-01", []domain.Role{domain.RoleDirector, domain.RoleCommittee}, []rankAt{{domain.RankSeniorA, "2015-07-01", "入职定级"}}},
	{"liuyang", "刘洋", "formulation", "2016-02-20", []domain.Role{domain.RoleDirector, domain.RoleCommittee}, []rankAt{{domain.RankSeniorA, "2016-02-20", "入职定级"}}},
	{"sunli", "孙丽", "analytical", "2016-05-09", []domain.Role{domain.RoleDirector, domain.RoleCommittee}, []rankAt{{domain.RankSeniorB, "2016-05-09", "入职定级"}, {domain.RankSeniorA, "2018-06-01", "满两年晋升"}}},
	{"zhoujie", "周杰", "purchasing", "2017-03-01", []domain.Role{domain.RoleDirector}, nil},
	{"wuxiaoyan", "吴晓燕", "registration", "2016-11-01", []domain.Role{domain.RoleDirector}, nil},
	{"zhengkai", "郑凯", "administration", "2017-08-14", []domain.Role{domain.RoleDirector}, nil},
	{"hejing", "何静", "finance", "2015-12-01", []domain.Role{domain.RoleDirector}, nil},

	{"zhangwei", "张伟", "synthesis", "2018-07-02", []domain.Role{domain.RoleResearcher}, []rankAt{
		{domain.RankResearchA, "2018-07-02", "硕士三年经验入职"}, {domain.RankSeniorB, "2020-09-01", "满两年晋升"}, {domain.RankSeniorA, "2022-09-01", "满两年晋升"}}},
	{"wangfang", "王芳", "synthesis", "2020-07-06", []domain.Role{domain.RoleResearcher}, []rankAt{
		{domain.RankResearchB, "2020-07-06", "应届硕士"}, {domain.RankResearchA, "2022-07-06", "满两年晋升"}}},
	{"yangxue", "杨雪", "synthesis", "2021-07-05", []domain.Role{domain.RoleResearcher}, []rankAt{
		{domain.RankAssistantB, "2021-07-05", "应届本科"}, {domain.RankAssistantA, "2022-12-01", "表现突出，提前晋升（1.5年）"}}},
	{"lijun", "李军", "synthesis", "2024-07-01", []domain.Role{domain.RoleResearcher}, []rankAt{{domain.RankAssistantB, "2024-07-01", "应届本科"}}},

	{"huanglei", "黄磊", "formulation", "2022-09-01", []domain.Role{domain.RoleResearcher}, []rankAt{{domain.RankSeniorB, "2022-09-01", "应届博士"}}},
	{"xuli", "徐丽", "formulation", "2023-07-03", []domain.Role{domain.RoleResearcher}, []rankAt{{domain.RankResearchB, "2023-07-03", "应届硕士"}}},
	{"mayue", "马悦", "formulation", "2022-02-14", []domain.Role{domain.RoleResearcher}, []rankAt{
		{domain.RankAssistantB, "2022-02-14", "本科"}, {domain.RankAssistantA, "2024-02-14", "满两年晋升"}}},

	{"guoqiang", "郭强", "analytical", "2019-03-11", []domain.Role{domain.RoleAnalyst}, []rankAt{
		{domain.RankResearchB, "2019-03-11", "应届硕士"}, {domain.RankResearchA, "2021-04-01", "满两年晋升"}}},
	{"songjia", "宋佳", "analytical", "2020-05-06", []domain.Role{domain.RoleAnalyst}, []rankAt{{domain.RankSeniorB, "2020-05-06", "海外博士"}}},
	{"linna", "林娜", "analytical", "2022-07-01", []domain.Role{domain.RoleAnalyst}, []rankAt{{domain.RankResearchB, "2022-07-01", "应届硕士"}}},
	{"luotao", "罗涛", "analytical", "2024-08-01", []domain.Role{domain.RoleAnalyst}, []rankAt{{domain.RankAssistantB, "2024-08-01", "应届本科"}}},

	{"gaoyuan", "高远", "purchasing", "2019-10-08", []domain.Role{domain.RolePurchasing}, nil},
	{"liangqian", "梁倩", "finance", "2018-04-16", []domain.Role{domain.RoleFinance}, nil},
	{"hanmei", "韩梅", "registration", "2019-06-03", []domain.Role{domain.RoleRegistration}, nil},
}

// Logins returns the demo accounts in the order they are created.
func Logins() []Login {
	out := make([]Login, 0, len(staff))
	for _, m := range staff {
		roles := make([]string, len(m.roles))
		for i, r := range m.roles {
			roles[i] = string(r)
			if r.Scoped() {
				roles[i] += "@" + m.dept
			}
		}
		out = append(out, Login{Username: m.username, Name: m.name, Roles: strings.Join(roles, ", "), Password: Password})
	}
	return out
}

// Seed loads the demo institute idempotently: departments and people that
// already exist (by code or username) are left alone, missing rank entries
// are added, and a second call changes nothing. The administrator is
// created by the system actor; everything else is done, and audited, as
// that administrator. hash is called at most once.
func Seed(ctx context.Context, ppl *people.Service, hash func(password string) (string, error)) ([]Login, error) {
	all, err := ppl.Departments(ctx, true)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, d := range all {
		ids[d.Code] = d.ID
	}
	for _, d := range departments {
		if _, ok := ids[d.code]; ok {
			continue
		}
		nd, err := ppl.CreateDepartment(ctx, domain.System, people.DepartmentInput{Code: d.code, NameZH: d.zh, NameEN: d.en})
		if err != nil {
			return nil, fmt.Errorf("demo: department %s: %w", d.code, err)
		}
		ids[d.code] = nd.ID
	}

	var pwHash string
	passwordHash := func() (string, error) {
		if pwHash == "" {
			h, err := hash(Password) // argon2 is slow: hash once, share it
			if err != nil {
				return "", fmt.Errorf("demo: hash password: %w", err)
			}
			pwHash = h
		}
		return pwHash, nil
	}

	actor := domain.System
	for _, m := range staff {
		p, err := ppl.PersonByUsername(ctx, m.username)
		if domain.IsKind(err, domain.KindNotFound) {
			h, err := passwordHash()
			if err != nil {
				return nil, err
			}
			in := people.PersonInput{Username: m.username, Name: m.name, Email: m.username + "@labflow.example",
				DepartmentID: ids[m.dept], HiredOn: m.hired, Lang: "zh", PasswordHash: h,
				// The demo logins are published and shared; they are meant
				// to work as printed, not to be changed first.
				PasswordPermanent: true}
			for _, r := range m.roles {
				g := domain.Grant{Role: r}
				if r.Scoped() {
					g.DepartmentID = ids[m.dept]
				}
				in.Roles = append(in.Roles, g)
			}
			if len(m.ranks) > 0 {
				in.Rank, in.RankSince = m.ranks[0].rank, m.ranks[0].since
			}
			if p, err = ppl.CreatePerson(ctx, actor, in); err != nil {
				return nil, fmt.Errorf("demo: person %s: %w", m.username, err)
			}
		} else if err != nil {
			return nil, err
		}
		if err := ensureRanks(ctx, ppl, actor, p.ID, m.ranks); err != nil {
			return nil, fmt.Errorf("demo: ranks of %s: %w", m.username, err)
		}
		if m.username == adminUsername {
			actor = domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Via: "system"}
		}
	}
	return Logins(), nil
}

// ensureRanks adds the rank entries a person lacks.
func ensureRanks(ctx context.Context, ppl *people.Service, actor domain.Actor, personID int64, ranks []rankAt) error {
	if len(ranks) == 0 {
		return nil
	}
	have, err := ppl.RankHistory(ctx, personID)
	if err != nil {
		return err
	}
	for _, r := range ranks {
		found := false
		for _, h := range have {
			if h.Rank == r.rank && h.Since == r.since {
				found = true
				break
			}
		}
		if !found {
			if err := ppl.AddRank(ctx, actor, personID, r.rank, r.since, r.note); err != nil {
				return err
			}
		}
	}
	return nil
}
