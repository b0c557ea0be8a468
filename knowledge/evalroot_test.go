package knowledge

import (
	"os"
	"path/filepath"
	"testing"
)

// evalRoot finds the shared evaluation data, which lives beside the
// repository (not in it); tests that need it skip when it is absent.
func evalRoot(t testing.TB) string {
	t.Helper()
	if dir := evalRootOrEmpty(); dir != "" {
		return dir
	}
	t.Skip("shared/eval not found (set HELPBOT_EVAL_DIR)")
	return ""
}

// evalRootOrEmpty is evalRoot for tests that do more than the shared data.
func evalRootOrEmpty() string {
	for _, dir := range []string{os.Getenv("HELPBOT_EVAL_DIR"), "../../shared/eval", "../../../shared/eval", "/work/shared/eval"} {
		if dir == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, "kb")); err == nil && fi.IsDir() {
			return dir
		}
	}
	return ""
}
