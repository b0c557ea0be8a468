package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/helpbot/helpbot/knowledge"
)

// The deployment files are code too: these tests parse them and check what
// a district relies on (two replicas, the probes, non-root, a read-only
// root, AOF and noeviction on Redis), and that every variable they set is
// one helpbot reads.

const deployDir = "../../deploy"

// k8sObject is the part of a Kubernetes object the checks read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string
	Metadata   struct {
		Name   string
		Labels map[string]string
	}
	Spec       yaml.Node
	Data       map[string]string
	StringData map[string]string `yaml:"stringData"`
}

type container struct {
	Name  string
	Image string
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	Env []struct {
		Name  string
		Value string
	}
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string
		Limits   map[string]string
	}
	SecurityContext struct {
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             struct{ Drop []string }
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	Lifecycle struct {
		PreStop struct {
			Sleep struct{ Seconds int }
		} `yaml:"preStop"`
	}
}

type k8sProbe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

type deploymentSpec struct {
	Replicas int
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	Template struct {
		Metadata struct{ Labels map[string]string }
		Spec     struct {
			TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot *bool `yaml:"runAsNonRoot"`
				RunAsUser    int   `yaml:"runAsUser"`
			} `yaml:"securityContext"`
			Containers []container
			Volumes    []struct {
				Name      string
				ConfigMap *struct{ Name string } `yaml:"configMap"`
			}
		}
	}
}

func readK8s(t *testing.T) map[string]k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	objs := map[string]k8sObject{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var o k8sObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("%s: a document without kind or apiVersion", f)
			}
			key := filepath.Base(f) + ":" + o.Kind + "/" + o.Metadata.Name
			objs[key] = o
		}
	}
	return objs
}

func find(t *testing.T, objs map[string]k8sObject, file, kind, name string) k8sObject {
	t.Helper()
	o, ok := objs[file+":"+kind+"/"+name]
	if !ok {
		t.Fatalf("deploy/k8s/%s has no %s %q", file, kind, name)
	}
	return o
}

func TestK8sDeployment(t *testing.T) {
	objs := readK8s(t)
	dep := find(t, objs, "deployment.yaml", "Deployment", "helpbot")
	var spec deploymentSpec
	if err := dep.Spec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if spec.Replicas != 2 {
		t.Errorf("replicas = %d; want 2", spec.Replicas)
	}
	pod := spec.Template.Spec
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == 0 {
		t.Errorf("pod securityContext must set runAsNonRoot: true and a non-zero runAsUser")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers; want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	for name, p := range map[string]struct {
		probe *k8sProbe
		path  string
	}{"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}, "startup": {c.StartupProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s probe must GET %s", name, p.path)
		} else if p.probe.HTTPGet.Port != "http" || len(c.Ports) == 0 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
			t.Errorf("%s probe port %q must be the container's port named http (8080)", name, p.probe.HTTPGet.Port)
		}
	}
	sc := c.SecurityContext
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container must have readOnlyRootFilesystem: true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container must have allowPrivilegeEscalation: false")
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("container must drop ALL capabilities")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources = %+v; want cpu and memory requests and a memory limit", c.Resources)
	}
	// The pod must get SIGKILL only after the preStop pause and the
	// whole SHUTDOWN_TIMEOUT.
	shutdown := defaultShutdownTimeout
	known := configKeys(Config{})
	for _, e := range c.Env {
		if !slices.Contains(known, e.Name) {
			t.Errorf("env %s is not a variable helpbot reads", e.Name)
		}
		if e.Name == "SHUTDOWN_TIMEOUT" {
			d, err := time.ParseDuration(e.Value)
			if err != nil {
				t.Fatalf("SHUTDOWN_TIMEOUT %q: %v", e.Value, err)
			}
			shutdown = d
		}
		if e.Name == "KB_DIR" && !slices.ContainsFunc(c.VolumeMounts, func(m struct {
			Name      string
			MountPath string `yaml:"mountPath"`
		}) bool {
			return m.MountPath == e.Value
		}) {
			t.Errorf("KB_DIR=%s but nothing is mounted there", e.Value)
		}
	}
	grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second
	if pre := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second; grace <= pre+shutdown {
		t.Errorf("terminationGracePeriodSeconds %s ≤ preStop %s + SHUTDOWN_TIMEOUT %s: the pod would be killed mid-shutdown", grace, pre, shutdown)
	}
	if !mapsSubset(spec.Selector.MatchLabels, spec.Template.Metadata.Labels) {
		t.Error("the Deployment's selector does not match its pod labels")
	}
	kb := false
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil {
			find(t, objs, "configmap-kb.yaml", "ConfigMap", v.ConfigMap.Name)
			kb = true
		}
	}
	if !kb {
		t.Error("no ConfigMap volume for the KB")
	}

	// The Service and the PodDisruptionBudget pick these pods.
	var svc struct {
		Selector map[string]string
		Ports    []struct {
			TargetPort string `yaml:"targetPort"`
		}
	}
	if err := decodeSpec(find(t, objs, "service.yaml", "Service", "helpbot"), &svc); err != nil {
		t.Fatal(err)
	}
	if !mapsSubset(svc.Selector, spec.Template.Metadata.Labels) || len(svc.Ports) == 0 || svc.Ports[0].TargetPort != "http" {
		t.Errorf("Service = %+v; want it to select the pods and target port http", svc)
	}
	var pdb struct {
		MinAvailable int `yaml:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
	}
	if err := decodeSpec(find(t, objs, "pdb.yaml", "PodDisruptionBudget", "helpbot"), &pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.MinAvailable != 1 || !mapsSubset(pdb.Selector.MatchLabels, spec.Template.Metadata.Labels) {
		t.Errorf("PodDisruptionBudget = %+v; want minAvailable 1 over the helpbot pods", pdb)
	}
}

func TestK8sRedis(t *testing.T) {
	objs := readK8s(t)
	var ss struct {
		Template struct {
			Spec struct {
				Containers []struct{ Args []string }
			}
		}
		VolumeClaimTemplates []any `yaml:"volumeClaimTemplates"`
	}
	if err := decodeSpec(find(t, objs, "redis.yaml", "StatefulSet", "redis"), &ss); err != nil {
		t.Fatal(err)
	}
	if len(ss.Template.Spec.Containers) != 1 || len(ss.VolumeClaimTemplates) != 1 {
		t.Fatal("redis.yaml: want one container and one volume claim")
	}
	checkRedisArgs(t, "deploy/k8s/redis.yaml", ss.Template.Spec.Containers[0].Args)
}

func TestKustomizationListsExistingFiles(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "k8s", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ Resources []string }
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(deployDir, "k8s", r)); err != nil {
			t.Errorf("kustomization lists %s: %v", r, err)
		}
	}
	// Credentials never live in the repository: the Secret is made from
	// the operator's own helpbot.env (docs/DEPLOY.md).
	for key := range readK8s(t) {
		if strings.Contains(key, ":Secret/") {
			t.Errorf("deploy/k8s ships a Secret (%s); create it from helpbot.env instead", key)
		}
	}
}

// checkRedisArgs wants an append-only file and no eviction: a case must
// never vanish to make room.
func checkRedisArgs(t *testing.T, where string, args []string) {
	t.Helper()
	joined := " " + strings.Join(args, " ") + " "
	for _, want := range []string{" --appendonly yes ", " --appendfsync everysec ", " --maxmemory-policy noeviction "} {
		if !strings.Contains(joined, want) {
			t.Errorf("%s: redis-server arguments lack%s(got%s)", where, want, joined)
		}
	}
}

func TestCompose(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Image       string
		Command     []string
		EnvFile     []string          `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string
		Healthcheck *struct{ Test []string }
		DependsOn   map[string]struct {
			Condition string
		} `yaml:"depends_on"`
		ReadOnly        bool   `yaml:"read_only"`
		User            string `yaml:"user"`
		StopGracePeriod string `yaml:"stop_grace_period"`
		Restart         string
	}
	var c struct {
		Services map[string]service
		Volumes  map[string]any
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	redis, bot := c.Services["redis"], c.Services["helpbot"]
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis image %q; want redis:7", redis.Image)
	}
	checkRedisArgs(t, "docker-compose.yml", redis.Command)
	if redis.Healthcheck == nil || !slices.Contains(redis.Healthcheck.Test, "ping") {
		t.Error("redis needs a healthcheck (redis-cli ping)")
	}
	named := false
	for _, v := range redis.Volumes {
		name, _, _ := strings.Cut(v, ":")
		if _, ok := c.Volumes[name]; ok {
			named = true
		}
	}
	if !named {
		t.Errorf("redis data must be on a named volume, got %v", redis.Volumes)
	}
	if bot.DependsOn["redis"].Condition != "service_healthy" {
		t.Error("helpbot should wait for a healthy Redis")
	}
	if !bot.ReadOnly || bot.User == "" || strings.HasPrefix(bot.User, "0") {
		t.Errorf("helpbot: read_only %v, user %q; want a read-only root and a non-root user", bot.ReadOnly, bot.User)
	}
	known := configKeys(Config{})
	for k := range bot.Environment {
		if !slices.Contains(known, k) {
			t.Errorf("compose sets %s, which helpbot does not read", k)
		}
	}
	grace, err := time.ParseDuration(bot.StopGracePeriod)
	if err != nil || grace <= defaultShutdownTimeout {
		t.Errorf("stop_grace_period %q must exceed SHUTDOWN_TIMEOUT (%s)", bot.StopGracePeriod, defaultShutdownTimeout)
	}
	if len(bot.EnvFile) != 1 || bot.EnvFile[0] != "helpbot.env" {
		t.Errorf("env_file = %v; want helpbot.env (from helpbot.env.example)", bot.EnvFile)
	}
}

var envLine = regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]+)=`)

// Every variable in the example env file, set or commented out, is one
// helpbot reads: a typo there would be silently ignored in production.
func TestEnvExampleNamesRealVariables(t *testing.T) {
	f, err := os.Open(filepath.Join(deployDir, "helpbot.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := configKeys(Config{})
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := envLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		if !slices.Contains(known, m[1]) {
			t.Errorf("helpbot.env.example names %s, which helpbot does not read", m[1])
		}
	}
	if n < 10 {
		t.Fatalf("found only %d variables in helpbot.env.example", n)
	}
}

// The KB ConfigMap loads as Kubernetes mounts it: each key a symlink into
// a hidden, timestamped folder (which the loader skips), so every article
// is read once.
func TestK8sKBConfigMapLoads(t *testing.T) {
	cm := find(t, readK8s(t), "configmap-kb.yaml", "ConfigMap", "helpbot-kb")
	dir := t.TempDir()
	stamp := filepath.Join(dir, "..2025_09_02_08_00_00.000000001")
	if err := os.Mkdir(stamp, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range cm.Data {
		if err := os.WriteFile(filepath.Join(stamp, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(stamp), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range cm.Data {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	ix, problems := knowledge.LoadDir(dir)
	if len(problems) > 0 {
		t.Errorf("problems loading the ConfigMap KB: %v", problems)
	}
	if ix.Len() != len(cm.Data) {
		t.Errorf("loaded %d articles from %d ConfigMap keys; want each exactly once", ix.Len(), len(cm.Data))
	}
}

// The Dockerfile builds what the docs promise. Without a Docker engine in
// CI this reads it; docs/DEPLOY.md has the build command.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w -X github.com/helpbot/helpbot/handlers/metrics.Version=`,
		"FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532", "KB_DIR=/kb",
		`ENTRYPOINT ["/helpbot"]`, "COPY go.mod go.sum ./",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Count(df, "\nFROM ") < 2 {
		t.Error("Dockerfile must be multi-stage")
	}
	ignore, err := os.ReadFile(filepath.Join(deployDir, "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "**/*.env"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), want) {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}

func decodeSpec(o k8sObject, v any) error { return o.Spec.Decode(v) }

func mapsSubset(sub, of map[string]string) bool {
	if len(sub) == 0 {
		return false
	}
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}
