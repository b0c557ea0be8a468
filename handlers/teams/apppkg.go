package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strings"
)

// AppPackage is what goes into the Teams app manifest.
type AppPackage struct {
	AppID       string // the bot's Entra app id (also the Teams app id)
	Name        string // short name, ≤ 30 characters
	Version     string // semver, e.g. 1.0.0
	Developer   string
	WebsiteURL  string
	PrivacyURL  string
	TermsURL    string
	AccentColor string // #RRGGBB
}

var (
	guidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	semverRe = regexp.MustCompile(`^\d{1,5}\.\d{1,5}\.\d{1,5}$`)
	colorRe  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	placeRe  = regexp.MustCompile(`\$\{[A-Z_]+\}`)
)

// IsGUID reports whether s looks like an Entra id (app, tenant or object).
func IsGUID(s string) bool { return guidRe.MatchString(s) }

func (p AppPackage) check() error {
	switch {
	case !IsGUID(p.AppID):
		return fmt.Errorf("app id %q is not a GUID (the Azure Bot's Microsoft App ID)", p.AppID)
	case p.Name == "" || len([]rune(p.Name)) > 30:
		return fmt.Errorf("name %q must be 1 to 30 characters", p.Name)
	case !semverRe.MatchString(p.Version):
		return fmt.Errorf("version %q must look like 1.0.0", p.Version)
	case !colorRe.MatchString(p.AccentColor):
		return fmt.Errorf("accent color %q must look like #2E5AAC", p.AccentColor)
	}
	for name, u := range map[string]string{"website": p.WebsiteURL, "privacy": p.PrivacyURL, "terms": p.TermsURL} {
		if articleURL(u) == "" {
			return fmt.Errorf("%s URL %q must be an https URL (Teams requires it)", name, u)
		}
	}
	return nil
}

// Manifest fills the manifest template. Values are JSON-escaped, so a
// name with quotes cannot break the file.
func (p AppPackage) Manifest(template []byte) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	vals := map[string]string{
		"APP_ID": p.AppID, "NAME": p.Name, "VERSION": p.Version, "DEVELOPER": p.Developer,
		"WEBSITE_URL": p.WebsiteURL, "PRIVACY_URL": p.PrivacyURL, "TERMS_URL": p.TermsURL,
		"ACCENT_COLOR": p.AccentColor,
	}
	var missing []string
	out := placeRe.ReplaceAllStringFunc(string(template), func(m string) string {
		v, ok := vals[strings.Trim(m, "${}")]
		if !ok {
			missing = append(missing, m)
			return m
		}
		q, _ := json.Marshal(v)
		return string(q[1 : len(q)-1])
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("manifest template has unknown placeholders %v", missing)
	}
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("manifest template is not valid JSON once filled")
	}
	return []byte(out), nil
}

// WritePackage writes the sideloadable app package: manifest.json and the
// two icons Teams requires (color 192×192, outline 32×32 white on transparent).
func WritePackage(w io.Writer, template []byte, p AppPackage) error {
	manifest, err := p.Manifest(template)
	if err != nil {
		return err
	}
	accent, _ := parseColor(p.AccentColor)
	colorPNG, err := encodePNG(colorIcon(accent))
	if err != nil {
		return err
	}
	outlinePNG, err := encodePNG(outlineIcon())
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}, {"color.png", colorPNG}, {"outline.png", outlinePNG}} {
		fw, err := zw.Create(f.name)
		if err != nil {
			return fmt.Errorf("app package: %w", err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("app package: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("app package: %w", err)
	}
	return nil
}

func parseColor(s string) (color.NRGBA, error) {
	var r, g, b uint8
	if _, err := fmt.Sscanf(strings.TrimPrefix(s, "#"), "%02x%02x%02x", &r, &g, &b); err != nil {
		return color.NRGBA{}, err
	}
	return color.NRGBA{r, g, b, 255}, nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("icon: %w", err)
	}
	return b.Bytes(), nil
}

// bubble reports whether (x, y), in units of the icon's size, is inside a
// speech bubble: a rounded box with a tail at the lower left.
func bubble(x, y float64) bool {
	inBox := func(x0, y0, x1, y1, r float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		cx := min(max(x, x0+r), x1-r)
		cy := min(max(y, y0+r), y1-r)
		return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
	}
	if inBox(0.18, 0.22, 0.82, 0.68, 0.1) {
		return true
	}
	// tail: a triangle under the box
	return y >= 0.66 && y <= 0.82 && x >= 0.28 && x <= 0.28+(0.82-y)*1.0 && x <= 0.44
}

// colorIcon: a white speech bubble with three dots on the accent colour.
func colorIcon(accent color.NRGBA) image.Image {
	const n = 192
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	white := color.NRGBA{255, 255, 255, 255}
	for py := range n {
		for px := range n {
			x, y := (float64(px)+0.5)/n, (float64(py)+0.5)/n
			c := accent
			if bubble(x, y) {
				c = white
				for _, dx := range []float64{0.34, 0.5, 0.66} {
					if (x-dx)*(x-dx)+(y-0.45)*(y-0.45) <= 0.045*0.045 {
						c = accent
					}
				}
			}
			img.SetNRGBA(px, py, c)
		}
	}
	return img
}

// outlineIcon: the bubble's outline, white on transparent, as Teams
// requires of the 32×32 icon.
func outlineIcon() image.Image {
	const n = 32
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for py := range n {
		for px := range n {
			x, y := (float64(px)+0.5)/n, (float64(py)+0.5)/n
			d := 1.5 / n
			edge := bubble(x, y) && (!bubble(x-d, y) || !bubble(x+d, y) || !bubble(x, y-d) || !bubble(x, y+d))
			if edge {
				img.SetNRGBA(px, py, color.NRGBA{255, 255, 255, 255})
			}
		}
	}
	return img
}
