package networking

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
	"sigs.k8s.io/yaml"
)

// customPackagePrefix is where platform modules put their rules.
const customPackagePrefix = "data.dittofs.networking.custom"

// sourceFile is one file of a bundle; name is what errors show, key what
// the revision hashes: the name within the bundle, wherever the folder is.
type sourceFile struct {
	name    string
	key     string
	content []byte
	custom  bool
}

// sources are the files of a bundle, read but not parsed.
type sources struct {
	modules  []sourceFile
	tests    []sourceFile
	data     []sourceFile
	revision string
	// replaceDefaults: the modules define the whole policy themselves.
	replaceDefaults bool
}

// readSources reads the default bundle (unless replaced), the policy
// directory and the data files. Test modules are read only when asked for, and
// never count in the revision: editing a test does not reload the policy. The
// tests read are those of the policy directory, or the default bundle's own
// when there is no directory.
func readSources(opts *Options, withTests bool) (*sources, error) {
	src := &sources{replaceDefaults: opts.ReplaceDefaults}
	if !opts.ReplaceDefaults {
		if err := src.addDefaults(opts.defaults(), withTests && opts.PolicyDir == ""); err != nil {
			return nil, err
		}
	}
	if opts.PolicyDir != "" {
		if err := src.addDir(opts.PolicyDir, withTests); err != nil {
			return nil, err
		}
	}
	for _, file := range opts.DataFiles {
		content, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read data file: %w", err)
		}
		src.data = append(src.data, sourceFile{name: file, key: "data/" + filepath.Base(file), content: content, custom: true})
	}
	src.revision = src.hash(opts.ReplaceDefaults)
	return src, nil
}

// addDefaults reads the top-level modules of the default bundle; its
// sub-directories (examples) are not part of it.
func (s *sources) addDefaults(fsys fs.FS, withTests bool) error {
	names, err := fs.Glob(fsys, "*.rego")
	if err != nil {
		return fmt.Errorf("list default policies: %w", err)
	}
	for _, name := range names {
		if isTest(name) && !withTests {
			continue
		}
		content, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read default policy: %w", err)
		}
		s.add(sourceFile{name: path.Join("policies", name), key: path.Join("policies", name), content: content})
	}
	return nil
}

// addDir reads the files of a policy directory, not its sub-directories. A
// mounted ConfigMap holds its files as symbolic links into a "..data"
// directory; names starting with a dot (that machinery, editor files) are
// skipped and links are followed.
func (s *sources) addDir(dir string, withTests bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read policy directory: %w", err)
	}
	for _, entry := range entries {
		if strings.HasPrefix(entry.Name(), ".") {
			continue
		}
		if err := s.addFile(filepath.Join(dir, entry.Name()), withTests); err != nil {
			return err
		}
	}
	return nil
}

func (s *sources) addFile(name string, withTests bool) error {
	kind := fileKind(name)
	if kind == kindOther || (kind == kindTest && !withTests) {
		return nil
	}
	info, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("stat policy file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	content, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read policy file: %w", err)
	}
	file := sourceFile{name: name, key: "custom/" + filepath.Base(name), content: content, custom: true}
	if kind == kindData {
		s.data = append(s.data, file)
		return nil
	}
	s.add(file)
	return nil
}

func (s *sources) add(file sourceFile) {
	if isTest(file.name) {
		s.tests = append(s.tests, file)
		return
	}
	s.modules = append(s.modules, file)
}

// hash is the revision: a digest of every module and data file that shapes
// decisions, by name within the bundle and content. The folder they were
// read from does not count, so the operator and `policy eval` give the same
// files the same revision.
func (s *sources) hash(replaceDefaults bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "replace-defaults=%t\n", replaceDefaults)
	for _, group := range [][]sourceFile{s.modules, s.data} {
		for _, f := range group {
			fmt.Fprintf(h, "%s\x00%d\x00", f.key, len(f.content))
			h.Write(f.content)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

type kind int

const (
	kindOther kind = iota
	kindModule
	kindTest
	kindData
)

func fileKind(name string) kind {
	switch ext := filepath.Ext(name); {
	case isTest(name):
		return kindTest
	case ext == ".rego":
		return kindModule
	case ext == ".json" || ext == ".yaml" || ext == ".yml":
		return kindData
	default:
		return kindOther
	}
}

func isTest(name string) bool {
	return strings.HasSuffix(name, "_test.rego")
}

// parseModules parses Rego v1 modules. Every file's errors are reported,
// each with its file and line.
func parseModules(files []sourceFile) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	errs := newErrors()
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(f.content), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			errs = multierror.Append(errs, regoErrors(err))
			continue
		}
		modules[f.name] = m
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, err
	}
	return modules, nil
}

// checkPackages keeps platform modules out of the defaults' packages: with
// the defaults loaded, a module in package dittofs.networking could redefine
// the decision, and one anywhere else under dittofs would never be consulted.
func checkPackages(files []sourceFile, modules map[string]*ast.Module) error {
	errs := newErrors()
	for _, f := range files {
		m, ok := modules[f.name]
		if !ok || !f.custom {
			continue
		}
		if err := checkPackage(f.name, m.Package); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

func checkPackage(file string, pkg *ast.Package) error {
	name := pkg.Path.String()
	if name != "data.dittofs" && !strings.HasPrefix(name, "data.dittofs.") {
		return nil
	}
	if strings.HasPrefix(name, customPackagePrefix+".") && len(pkg.Path) == 5 {
		return nil
	}
	row := 0
	if pkg.Location != nil {
		row = pkg.Location.Row
	}
	return &PolicyError{
		File: file, Line: row, Code: "dittofs_package_error",
		Message: fmt.Sprintf("package %s is reserved: platform modules use package dittofs.networking.custom.<name>",
			strings.TrimPrefix(name, "data.")),
	}
}

// loadSettings merges the data files into one object, the value of
// data.dittofs.settings. A key set by two files to different non-object
// values is an error rather than a silent pick.
func loadSettings(files []sourceFile) (map[string]any, error) {
	settings := map[string]any{}
	errs := newErrors()
	for _, f := range files {
		doc, err := decodeData(f)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if err := mergeInto(settings, doc, f.name, ""); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	return settings, nil
}

func decodeData(f sourceFile) (map[string]any, error) {
	raw := f.content
	if ext := filepath.Ext(f.name); ext == ".yaml" || ext == ".yml" {
		converted, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		raw = converted
	}
	var doc any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	if doc == nil {
		return map[string]any{}, nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: settings must be an object, not %T", f.name, doc)
	}
	return obj, nil
}

func mergeInto(dst, src map[string]any, file, prefix string) error {
	errs := newErrors()
	for _, key := range sortedKeys(src) {
		value, have := dst[key]
		srcObj, srcIsObj := src[key].(map[string]any)
		dstObj, dstIsObj := value.(map[string]any)
		switch {
		case !have:
			dst[key] = src[key]
		case srcIsObj && dstIsObj:
			if err := mergeInto(dstObj, srcObj, file, prefix+key+"."); err != nil {
				errs = multierror.Append(errs, err)
			}
		default:
			errs = multierror.Append(errs, fmt.Errorf("%s: setting %s%s is already set by another file", file, prefix, key))
		}
	}
	return errs.ErrorOrNil()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// errNoDecision says the bundle does not define the decision at all.
var errNoDecision = errors.New("the policy bundle defines no data.dittofs.networking.decision")
