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

// Params checks a consent request's query, or the form its Allow posted:
// the fields the page carries, or why the cart refuses the request.
type Params func(url.Values) (fields map[string]string, refusal string)

// ServeConsent answers a consent page request: 400 with the refusal when
// check refuses the query, else the page made from the fields.
func ServeConsent(w http.ResponseWriter, r *http.Request, check Params, page func(fields map[string]string) Consent) {
	p, msg := check(r.URL.Query())
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	WriteConsent(w, page(p))
}

// Consented reads the owner's Allow (ReadConsent) and checks the form as
// the page's request was checked. Anything refused is answered 400 and ok
// is false.
func Consented(w http.ResponseWriter, r *http.Request, check Params) (fields map[string]string, ok bool) {
	form, ok := ReadConsent(w, r)
	if !ok {
		return nil, false
	}
	p, msg := check(form)
	if msg != "" {
		http.Error(w, "authorization refused: "+msg, http.StatusBadRequest)
		return nil, false
	}
	return p, true
}

// SendBack sends the browser to redirect (checked by WebURL) with query
// added to the query it has.
func SendBack(w http.ResponseWriter, r *http.Request, redirect string, query url.Values) {
	u, _ := url.Parse(redirect)
	q := u.Query()
	for k, v := range query {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// WebURL reports whether s is an absolute http(s) URL with a host: what a
// cart takes as a redirect or callback address.
func WebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
