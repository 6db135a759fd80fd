package simulator

import (
	"html/template"
	"mime"
	"net/http"
	"net/url"
)

// Consent is a cart's consent page as the simulators serve it: a plain form
// whose Allow button posts the hidden fields back (to Action, or to the
// page's own address when Action is empty).
type Consent struct {
	Title, Heading string
	Detail         string // a line under the heading; "" for none
	Action         string
	Hidden         map[string]string
	Button         string
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><title>{{.Title}}</title></head><body>
<h1>{{.Heading}}</h1>
{{if .Detail}}<p>{{.Detail}}</p>
{{end}}<form method="post"{{if .Action}} action="{{.Action}}"{{end}}>
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit" name="decision" value="allow">{{.Button}}</button>
</form></body></html>
`))

// WriteConsent answers with the consent page c.
func WriteConsent(w http.ResponseWriter, c Consent) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, c)
}

// ReadConsent reads what a consent page's Allow button posted: a bounded
// urlencoded form with decision=allow. Anything else is answered 400 and
// ok is false. The cart's own checks of the fields come after.
func ReadConsent(w http.ResponseWriter, r *http.Request) (form url.Values, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		http.Error(w, "form expected", http.StatusBadRequest)
		return nil, false
	}
	if r.PostForm.Get("decision") != "allow" {
		http.Error(w, "authorization refused: not allowed", http.StatusBadRequest)
		return nil, false
	}
	return r.PostForm, true
}
