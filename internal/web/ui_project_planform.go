package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/projects"
)

// The /projects/{code}/plans/new page (issue 10; PRJ-2, PRJ-3, DIR-3): the
// director's form for a node plan or a revision of it, filed through the
// projects service's FilePlan like the JSON API. The nodes are table rows
// (a node's test items one per line, "item × count"), the rewards rows with
// a few recipients' shares each; empty rows are left out. On a problem the
// page is shown again with what was sent and each message beside its row.

// planFormRows is how many empty node rows a new form offers beyond those
// filled; rewardRows and shareSlots likewise for rewards and shares.
const (
	planFormRows = 3
	rewardRows   = 2
	shareSlots   = 3
	// maxFormRows caps the rows read from a form (the service allows 200
	// nodes; more rows are not read).
	maxFormRows = 250
)

// planForm is the plan as the form shows and sends it: text as typed.
type planForm struct {
	IP, KeyPoints, Reason string
	Nodes                 []planNodeRow
	Rewards               []planRewardRow
}

// planNodeRow is a node's row; Tests holds one test item a line.
type planNodeRow struct {
	Name, Start, End, Serves, Tests string
}

// planRewardRow is a stage's reward with its recipients' shares.
type planRewardRow struct {
	Stage, Amount string
	Shares        []planShareSlot
}

// planShareSlot is one recipient's share: the person's id and percent.
type planShareSlot struct {
	PersonID, Percent string
}

func (n planNodeRow) blank() bool {
	return strings.TrimSpace(n.Name+n.Start+n.End+n.Serves+n.Tests) == ""
}

func (s planShareSlot) blank() bool { return strings.TrimSpace(s.PersonID+s.Percent) == "" }

func (r planRewardRow) blank() bool {
	return strings.TrimSpace(r.Stage+r.Amount) == "" && !slices.ContainsFunc(r.Shares, func(s planShareSlot) bool { return !s.blank() })
}

// planFormPage is the form page.
type planFormPage struct {
	Page
	formState
	Code, Name string
	Form       planForm
	// Revision is the number the filed plan will have; Revise is true from
	// the second on (a reason is then required), Signing names a revision
	// still being signed (a new one must wait).
	Revision int
	Revise   bool
	Signing  int
	Stages   []string
	// People are whom a reward may go to: the team and the director.
	People []optionView
}

func (*planFormPage) template() string { return "project_plan_form" }

// planFormOf is the form filled from a plan (a revision pre-filled from
// the latest one), with empty rows to add to.
func planFormOf(p projects.Plan) planForm {
	f := planForm{IP: p.IP, KeyPoints: p.KeyPoints}
	for _, n := range p.Nodes {
		var lines []string
		for _, t := range n.Tests {
			lines = append(lines, t.Item+" × "+strconv.Itoa(t.Count))
		}
		f.Nodes = append(f.Nodes, planNodeRow{Name: n.Name, Start: n.Start, End: n.End, Serves: n.Serves, Tests: strings.Join(lines, "\n")})
	}
	for _, r := range p.Rewards {
		row := planRewardRow{Stage: r.Stage, Amount: r.Amount}
		for _, s := range r.Shares {
			row.Shares = append(row.Shares, planShareSlot{PersonID: strconv.FormatInt(s.PersonID, 10), Percent: strconv.Itoa(s.Percent)})
		}
		f.Rewards = append(f.Rewards, row)
	}
	for range planFormRows {
		f.Nodes = append(f.Nodes, planNodeRow{})
	}
	for range rewardRows {
		f.Rewards = append(f.Rewards, planRewardRow{})
	}
	for i := range f.Rewards {
		for len(f.Rewards[i].Shares) < shareSlots || !f.Rewards[i].Shares[len(f.Rewards[i].Shares)-1].blank() {
			f.Rewards[i].Shares = append(f.Rewards[i].Shares, planShareSlot{})
		}
	}
	return f
}

// formRows returns the row numbers (1-based) the form sent for prefix
// ("nodes." gives the n of every "nodes.n.…"), in order, at most
// maxFormRows.
func formRows(form url.Values, prefix string) []int {
	seen := map[int]bool{}
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= maxFormRows*4 {
			seen[n] = true
		}
	}
	var out []int
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	if len(out) > maxFormRows {
		out = out[:maxFormRows]
	}
	return out
}

// readPlanForm reads the form as sent (the rows renumbered from 1 in
// order).
func readPlanForm(r *http.Request) planForm {
	v := r.PostForm
	f := planForm{IP: v.Get("ip"), KeyPoints: v.Get("key_points"), Reason: v.Get("reason")}
	for _, n := range formRows(v, "nodes.") {
		p := "nodes." + strconv.Itoa(n) + "."
		f.Nodes = append(f.Nodes, planNodeRow{Name: v.Get(p + "name"), Start: v.Get(p + "start"), End: v.Get(p + "end"),
			Serves: v.Get(p + "serves"), Tests: v.Get(p + "tests")})
	}
	for _, n := range formRows(v, "rewards.") {
		p := "rewards." + strconv.Itoa(n) + "."
		row := planRewardRow{Stage: v.Get(p + "stage"), Amount: v.Get(p + "amount")}
		for _, j := range formRows(v, p+"shares.") {
			sp := p + "shares." + strconv.Itoa(j) + "."
			row.Shares = append(row.Shares, planShareSlot{PersonID: v.Get(sp + "person_id"), Percent: v.Get(sp + "percent")})
		}
		f.Rewards = append(f.Rewards, row)
	}
	return f
}

// testLine is a test item line: the item, then its count after a space,
// "×", "*" or " x", optionally followed by 次 ("HPLC 纯度 × 5", "水分 3次").
var testLine = regexp.MustCompile(`^(.*?)(?:\s*[×*]\s*|\s+[xX]\s*|\s+)([0-9]+)\s*次?$`)

// planInput is the plan the form holds, for FilePlan, and where each of
// its parts came from: the rows of the nodes and rewards, the lines of each
// node's test items, the slots of each reward's shares (all 1-based), so
// that the service's field names find their rows again.
type planInput struct {
	In        projects.PlanInput
	nodeRow   []int
	testLine  [][]int
	rewardRow []int
	shareSlot [][]int
}

// input turns the form into the plan the service checks: blank rows are
// left out; a test line without a count has count 0 (which the service
// refuses, naming it), as has a count that is not a number.
func (f planForm) input() planInput {
	var out planInput
	out.In = projects.PlanInput{Plan: projects.Plan{IP: f.IP, KeyPoints: f.KeyPoints, Nodes: []projects.Node{}, Rewards: []projects.Reward{}}, Reason: f.Reason}
	for i, n := range f.Nodes {
		if n.blank() {
			continue
		}
		node := projects.Node{Name: n.Name, Start: n.Start, End: n.End, Serves: n.Serves, Tests: []projects.TestItem{}}
		var lines []int
		for j, line := range strings.Split(n.Tests, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			t := projects.TestItem{Item: line}
			if m := testLine.FindStringSubmatch(line); m != nil {
				t.Item = strings.TrimSpace(m[1])
				t.Count, _ = strconv.Atoi(m[2])
			}
			node.Tests = append(node.Tests, t)
			lines = append(lines, j+1)
		}
		out.In.Nodes = append(out.In.Nodes, node)
		out.nodeRow = append(out.nodeRow, i+1)
		out.testLine = append(out.testLine, lines)
	}
	for i, r := range f.Rewards {
		if r.blank() {
			continue
		}
		rw := projects.Reward{Stage: r.Stage, Amount: r.Amount}
		var slots []int
		for j, s := range r.Shares {
			if s.blank() {
				continue
			}
			id, _ := strconv.ParseInt(strings.TrimSpace(s.PersonID), 10, 64)
			pct, _ := strconv.Atoi(strings.TrimSpace(s.Percent))
			rw.Shares = append(rw.Shares, projects.Share{PersonID: id, Percent: pct})
			slots = append(slots, j+1)
		}
		out.In.Rewards = append(out.In.Rewards, rw)
		out.rewardRow = append(out.rewardRow, i+1)
		out.shareSlot = append(out.shareSlot, slots)
	}
	return out
}

// fieldsOnRows renames the service's fields (nodes.2.end: the second node
// filed) to the form's (nodes.4.end: the fourth row); a test item's problem
// goes beside its node's test items, naming the line.
func (in planInput) fieldsOnRows(fe map[string]string, lang string) map[string]string {
	out := map[string]string{}
	add := func(k, msg string) {
		if old, ok := out[k]; ok {
			msg = old + "；" + msg
		}
		out[k] = msg
	}
	at := func(rows []int, s string) (int, bool) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(rows) {
			return 0, false
		}
		return n - 1, true
	}
	for k, msg := range fe {
		parts := strings.Split(k, ".")
		switch {
		case len(parts) >= 3 && parts[0] == "nodes":
			i, ok := at(in.nodeRow, parts[1])
			if !ok {
				break
			}
			row := "nodes." + strconv.Itoa(in.nodeRow[i]) + "."
			if parts[2] == "tests" && len(parts) == 5 {
				if j, ok := at(in.testLine[i], parts[3]); ok {
					add(row+"tests", tr(lang, "puiplan.line", "n", in.testLine[i][j])+msg)
					continue
				}
			}
			add(row+parts[2], msg)
			continue
		case len(parts) >= 3 && parts[0] == "rewards":
			i, ok := at(in.rewardRow, parts[1])
			if !ok {
				break
			}
			row := "rewards." + strconv.Itoa(in.rewardRow[i]) + "."
			if parts[2] == "shares" && len(parts) == 5 {
				if j, ok := at(in.shareSlot[i], parts[3]); ok {
					add(row+"shares."+strconv.Itoa(in.shareSlot[i][j])+"."+parts[4], msg)
					continue
				}
			}
			add(row+parts[2], msg)
			continue
		}
		add(k, msg)
	}
	return out
}

func (s *Server) uiPlanForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanForm(w, r, nil, formState{})
}

// renderPlanForm shows the form of project code: pre-filled from the
// latest revision when form is nil, else as sent with its problems.
func (s *Server) renderPlanForm(w http.ResponseWriter, r *http.Request, form *planForm, st formState) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	d, err := svc.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	if !d.MayDirect {
		return domain.Forbidden("web.planForm")
	}
	p := &planFormPage{formState: st, Code: d.Code, Name: d.Name, Revision: len(d.Revisions) + 1, Revise: len(d.Revisions) > 0, Stages: projects.Stages}
	if n := len(d.Revisions); n > 0 && d.Revisions[n-1].State == projects.PlanSigning {
		p.Signing = d.Revisions[n-1].Revision
	}
	var latest projects.Plan
	switch {
	case d.Latest != nil:
		latest = d.Latest.Plan
	case d.Plan != nil:
		latest = d.Plan.Plan
	}
	if form == nil {
		f := planFormOf(latest)
		form = &f
	}
	p.Form = *form
	// Whom a reward may go to: the director, the team (once each), and
	// anyone the form names already.
	seen := map[int64]bool{}
	person := func(id int64, name string) {
		if id == 0 || seen[id] {
			return
		}
		seen[id] = true
		if name == "" {
			name = "#" + strconv.FormatInt(id, 10)
			if per, err := s.People.Person(r.Context(), id); err == nil {
				name = per.Name + " (" + per.Username + ")"
			}
		}
		p.People = append(p.People, optionView{Value: strconv.FormatInt(id, 10), Label: name})
	}
	person(d.DirectorID, "")
	for _, m := range d.Team {
		person(m.PersonID, "")
	}
	for _, rw := range p.Form.Rewards {
		for _, sh := range rw.Shares {
			id, _ := strconv.ParseInt(sh.PersonID, 10, 64)
			person(id, "")
		}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiFilePlanForm(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	if err := r.ParseForm(); err != nil {
		return domain.E(domain.KindInvalid, "web.planForm", "error.invalid")
	}
	form := readPlanForm(r)
	in := form.input()
	rev, _, err := svc.FilePlan(r.Context(), a, r.PathValue("code"), in.In)
	if err != nil {
		// Who may not direct the project is answered as the service says
		// (404 or 403), not with the form.
		if k := domain.ErrorKind(err); k == domain.KindNotFound || k == domain.KindForbidden {
			return err
		}
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderPlanForm(w, r, &form, failed(in.fieldsOnRows(fe, s.lang(r)), msg))
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"/plans/"+strconv.Itoa(rev.Revision), http.StatusSeeOther)
	return nil
}
