package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"

	teamsapp "github.com/helpbot/helpbot/deploy/teams"
)

func goodPackage() AppPackage {
	return AppPackage{AppID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Name: `Lincoln "IT" Help`, Version: "1.2.3",
		Developer: "Lincoln USD IT", WebsiteURL: "https://it.lincoln.k12.example", PrivacyURL: "https://it.lincoln.k12.example/privacy",
		TermsURL: "https://it.lincoln.k12.example/terms", AccentColor: "#2E5AAC"}
}

// The zip is what a district uploads in Teams: a manifest for a bot in
// personal chat, teams and group chats, and two icons of the sizes Teams checks.
func TestAppPackage(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePackage(&buf, teamsapp.Manifest, goodPackage()); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var m struct {
		Schema          string `json:"$schema"`
		ManifestVersion string `json:"manifestVersion"`
		ID              string `json:"id"`
		Version         string `json:"version"`
		Name            struct{ Short string }
		Icons           struct{ Color, Outline string }
		Bots            []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Commands []struct{ Title string }
			} `json:"commandLists"`
		}
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, files["manifest.json"])
	}
	if m.ManifestVersion != "1.19" || !strings.Contains(m.Schema, "/v1.19/") {
		t.Errorf("manifest version %q schema %q; want 1.19", m.ManifestVersion, m.Schema)
	}
	if m.ID != goodPackage().AppID || len(m.Bots) != 1 || m.Bots[0].BotID != m.ID || m.Version != "1.2.3" {
		t.Errorf("ids: app %q bot %+v version %q", m.ID, m.Bots, m.Version)
	}
	if m.Name.Short != `Lincoln "IT" Help` {
		t.Errorf("name %q; want the quotes kept, escaped", m.Name.Short)
	}
	if got := strings.Join(m.Bots[0].Scopes, ","); got != "personal,team,groupChat" {
		t.Errorf("bot scopes %q", got)
	}
	var titles []string
	for _, l := range m.Bots[0].CommandLists {
		for _, c := range l.Commands {
			if len(c.Title) > 32 {
				t.Errorf("command %q is longer than Teams' 32 characters", c.Title)
			}
			titles = append(titles, c.Title)
		}
	}
	if !strings.Contains(strings.Join(titles, "|"), setupCommandWords) {
		t.Errorf("commands %v lack the tech-channel set-up command", titles)
	}
	for name, size := range map[string]int{m.Icons.Color: 192, m.Icons.Outline: 32} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %dx%d; want %dx%d", name, b.Dx(), b.Dy(), size, size)
		}
	}
	// Teams rejects an outline icon that is not white on transparent.
	img, _ := png.Decode(bytes.NewReader(files[m.Icons.Outline]))
	white := 0
	for y := range 32 {
		for x := range 32 {
			r, g, b, a := img.At(x, y).RGBA()
			switch {
			case a == 0:
			case r == 0xffff && g == 0xffff && b == 0xffff && a == 0xffff:
				white++
			default:
				t.Fatalf("outline pixel (%d,%d) is %v; want white or transparent", x, y, img.At(x, y))
			}
		}
	}
	if white < 20 {
		t.Errorf("outline icon has %d white pixels; want a visible outline", white)
	}
	if dir := os.Getenv("TEAMS_ICON_DIR"); dir != "" { // to look at them
		os.WriteFile(dir+"/color.png", files[m.Icons.Color], 0o644)
		os.WriteFile(dir+"/outline.png", files[m.Icons.Outline], 0o644)
	}
}

func TestAppPackageRefusesBadValues(t *testing.T) {
	tests := map[string]func(*AppPackage){
		"app id not a GUID": func(p *AppPackage) { p.AppID = "helpbot" },
		"name too long":     func(p *AppPackage) { p.Name = strings.Repeat("x", 31) },
		"http website":      func(p *AppPackage) { p.WebsiteURL = "http://it.example" },
		"bad version":       func(p *AppPackage) { p.Version = "v1" },
		"bad colour":        func(p *AppPackage) { p.AccentColor = "blue" },
	}
	for name, mutate := range tests {
		p := goodPackage()
		mutate(&p)
		if err := WritePackage(io.Discard, teamsapp.Manifest, p); err == nil {
			t.Errorf("%s: WritePackage succeeded; want an error", name)
		}
	}
	if _, err := goodPackage().Manifest([]byte(`{"id":"${APP_ID}","x":"${NOPE}"}`)); err == nil {
		t.Error("a template with an unknown placeholder was accepted")
	}
}
