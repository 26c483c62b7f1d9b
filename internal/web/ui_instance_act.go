package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/flow"
)

// The actions taken from the request page (POST /instances/{id}/act).

// uiInstanceAct runs one action from the instance page: on a task when
// task_id is set, else on the instance.
func (s *Server) uiInstanceAct(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		// Too large: the page comes back with the message and what was typed.
		taskID, _ := strconv.ParseInt(r.PostForm.Get("task_id"), 10, 64)
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderInstance(w, r, &instancePage{formState: failed(fe, msg), ActTask: taskID,
				ActAction: r.PostForm.Get("action"), Comment: r.PostForm.Get("comment")})
		})
	}
	taskID, _ := strconv.ParseInt(r.PostFormValue("task_id"), 10, 64)
	in := flow.ActInput{Action: flow.Action(r.PostFormValue("action")), Comment: r.PostFormValue("comment"), Password: firstValue(r.PostForm["password"]),
		To: r.PostFormValue("to"), Before: r.PostFormValue("before") == "true", IdemKey: r.PostFormValue("idempotency_key")}
	in.PersonID, _ = strconv.ParseInt(r.PostFormValue("person_id"), 10, 64)
	var edit map[string]any
	v, err := e.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := v.Definition
	switch {
	case in.Action == flow.ActResubmit || in.Action == "" && r.PostFormValue("more_rows") != "":
		form, rows, err := s.readForm(r, a, d, nil)
		if err != nil {
			return err
		}
		if more := r.PostFormValue("more_rows"); more != "" {
			rows[more] += moreTableRows
			return s.renderInstance(w, r, &instancePage{EditValues: form, ActAction: "resubmit", Rows: rows})
		}
		in.Form, edit = form, form
	case taskID != 0 && in.Action == flow.ActApprove:
		for _, t := range v.Tasks {
			if t.ID == taskID {
				if st := d.Step(t.StepID); st != nil && len(st.Editable) > 0 && r.PostFormValue("edit") == "1" {
					var keys []string
					for _, k := range st.Editable {
						k, _, _ = strings.Cut(k, ".")
						keys = append(keys, k)
					}
					form, _, err := s.readForm(r, a, d, keys)
					if err != nil {
						return err
					}
					if len(form) > 0 {
						in.Form = form
						edit = map[string]any{}
						for k, x := range v.Instance.Form {
							edit[k] = x
						}
						for k, x := range form {
							edit[k] = x
						}
					}
				}
			}
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attachments"] {
			if fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			att, err := s.Attach.Upload(r.Context(), a, fh.Filename, f, "instance", strconv.FormatInt(id, 10))
			f.Close()
			if err != nil {
				return err
			}
			in.Attachments = append(in.Attachments, att.SHA256)
		}
	}
	if taskID != 0 {
		_, err = e.Act(r.Context(), a, taskID, in)
	} else {
		_, err = e.ActOnInstance(r.Context(), a, id, in)
	}
	if err != nil {
		err = signatureError(err)
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			fe, _ := s.formMessages(r, err)
			_, badPassword := fe["password"]
			return s.renderInstance(w, r, &instancePage{formState: failed(fe, msg), ActTask: taskID, ActAction: string(in.Action),
				Comment: in.Comment, EditValues: edit, SignOpen: badPassword})
		})
	}
	http.Redirect(w, r, "/instances/"+strconv.FormatInt(id, 10)+"?done="+urlQueryEscape(string(in.Action)), http.StatusSeeOther)
	return nil
}

// firstValue is the first non-empty of a form field's values: the request
// page has a password field in each dialog that signs, and one is filled.
func firstValue(vs []string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
