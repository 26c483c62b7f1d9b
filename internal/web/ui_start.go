package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// The start form of a process (/processes/{key}/new), with its live
// preview of computed fields.

func newIdemKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) renderStartForm(w http.ResponseWriter, r *http.Request, d *flow.Definition, values map[string]any, rows map[string]int,
	errs map[string]string, msg, idem string) error {
	fc, err := s.newFormCtx(r, d, values, errs)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	if idem == "" {
		idem = newIdemKey()
	}
	choices, err := s.startChoices(r, d)
	if err != nil {
		return err
	}
	s.render(w, r, &startPage{formState: failed(errs, msg), Def: d, Title: d.Title.In(lang), Description: d.Description.In(lang),
		Fields: fc.fields(d, d.StartFields(), rows), Choices: choices, IdemKey: idem})
	return nil
}

// choiceView is a step whose assignee the initiator picks when filing
// (chosen_by: initiator), with the holders of its role to pick from.
type choiceView struct {
	Step, Title, Selected string
	Options               []optionView
}

func (s *Server) startChoices(r *http.Request, d *flow.Definition) ([]choiceView, error) {
	a, _ := actor(r)
	lang := s.lang(r)
	var out []choiceView
	for _, st := range d.Steps {
		if st.Assignee.ChosenBy != "initiator" {
			continue
		}
		holders, err := s.People.WithRole(r.Context(), domain.Role(st.Assignee.Role), 0)
		if err != nil {
			return nil, err
		}
		cv := choiceView{Step: st.ID, Title: st.Title.In(lang), Selected: r.PostFormValue("chosen." + st.ID)}
		for _, p := range holders {
			if p.ID != a.ID {
				cv.Options = append(cv.Options, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
			}
		}
		out = append(out, cv)
	}
	return out, nil
}

// formChosen reads the start form's choices of assignees ("chosen.STEP").
func formChosen(r *http.Request) map[string]int64 {
	out := map[string]int64{}
	for k, vs := range r.PostForm {
		if step, ok := strings.CutPrefix(k, "chosen."); ok && len(vs) > 0 {
			if id, err := strconv.ParseInt(vs[0], 10, 64); err == nil && id > 0 {
				out[step] = id
			}
		}
	}
	return out
}

func (s *Server) uiNewInstance(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if !mayStartDef(a, d) {
		return domain.Forbidden("web.newInstance")
	}
	rows := map[string]int{}
	for _, f := range d.Form {
		if f.Type == flow.FieldTable {
			if n, err := strconv.Atoi(r.URL.Query().Get("rows." + f.Key)); err == nil {
				rows[f.Key] = min(max(n, 1), 200)
			}
		}
	}
	return s.renderStartForm(w, r, d, nil, rows, nil, "", "")
}

func (s *Server) uiStartInstance(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	form, rows, err := s.readForm(r, a, d, d.StartFields())
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderStartForm(w, r, d, nil, rows, fe, msg, "")
		})
	}
	idem := r.PostFormValue("idempotency_key")
	if more := r.PostFormValue("more_rows"); more != "" {
		// "More rows": show the form again with what was entered and more empty lines.
		rows[more] += moreTableRows
		return s.renderStartForm(w, r, d, form, rows, nil, "", idem)
	}
	inst, err := s.start(r, a, d, form, formChosen(r), idem)
	if err != nil {
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			fe, _ := s.formMessages(r, err)
			return s.renderStartForm(w, r, d, form, rows, fe, msg, idem)
		})
	}
	if len(inst.Issued) > 0 {
		// A link went to someone outside the institute: its token is shown
		// to the initiator this once, on the request page (external.go).
		return s.renderIssued(w, r, inst)
	}
	http.Redirect(w, r, "/instances/"+strconv.FormatInt(inst.ID, 10), http.StatusSeeOther)
	return nil
}

// uiPreviewForm answers the start form's script while the form is being
// filled in: the computed fields and columns (a line's amount, the total)
// for what has been entered, as {"values": {"total": "771.00",
// "items.1.amount": "771.00"}}. Nothing is stored and files are not read.
func (s *Server) uiPreviewForm(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		r.MultipartForm.File = nil // a preview uploads nothing
	}
	form, _, err := s.readForm(r, a, d, d.StartFields())
	if err != nil {
		return err
	}
	out := flow.PreviewForm(d, form)
	values := map[string]string{}
	for _, f := range d.Form {
		if f.Computed != "" {
			if v, ok := out[f.Key]; ok {
				values[f.Key] = fmt.Sprint(v)
			}
			continue
		}
		if f.Type != flow.FieldTable {
			continue
		}
		// Normalizing drops blank lines; the entered lines that were not
		// blank map, in order, to the normalized rows.
		in, _ := form[f.Key].([]any)
		norm, _ := out[f.Key].([]map[string]any)
		j := 0
		for i, row := range in {
			if m, _ := row.(map[string]any); len(m) == 0 {
				continue
			}
			if j >= len(norm) {
				break
			}
			for _, c := range f.Columns {
				if v, ok := norm[j][c.Key]; ok && c.Computed != "" {
					values[fmt.Sprintf("%s.%d.%s", f.Key, i+1, c.Key)] = fmt.Sprint(v)
				}
			}
			j++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": values})
	return nil
}

// startPage is the form that files a request.
type startPage struct {
	Page
	formState
	Def                *flow.Definition
	Title, Description string
	Fields             []fieldView
	Choices            []choiceView
	// IdemKey makes submitting the form twice file one request.
	IdemKey string
}

func (*startPage) template() string { return "process_start" }
