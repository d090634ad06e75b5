package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// tableAccept asks the API server for the server-side Table kubectl prints.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io"

// Table fetches the server-side Table of a list path (e.g.
// "/api/v1/namespaces/demo/services"), with the full objects
// (includeObject=Object), the way `kubectl get` does. Columns of priority 1
// are those only `-o wide` shows. labelSelector may be empty.
func Table(ctx context.Context, cfg *rest.Config, path, labelSelector string) (*metav1.Table, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion()
	c, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		return nil, err
	}
	req := c.Get().AbsPath(path).Param("includeObject", "Object").SetHeader("Accept", tableAccept)
	if labelSelector != "" {
		req = req.Param("labelSelector", labelSelector)
	}
	raw, err := req.Do(ctx).Raw()
	if err != nil {
		return nil, fmt.Errorf("GET %s as a Table: %w", path, err)
	}
	table := &metav1.Table{}
	if err := json.Unmarshal(raw, table); err != nil {
		return nil, fmt.Errorf("decoding the Table of %s: %w", path, err)
	}
	return table, nil
}

// DittoServerTable is the Table of the DittoServers of a namespace.
func DittoServerTable(ctx context.Context, cfg *rest.Config, namespace string) (*metav1.Table, error) {
	return Table(ctx, cfg, fmt.Sprintf("/apis/%s/namespaces/%s/dittoservers", dittov1.GroupVersion.String(), namespace), "")
}

// PrintTable writes a Table as `kubectl get` does: upper-case headers,
// aligned columns, priority-1 columns only when wide, dates as ages.
func PrintTable(w io.Writer, table *metav1.Table, wide bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	var columns []int
	var header []string
	for i, col := range table.ColumnDefinitions {
		if col.Priority == 0 || wide {
			columns = append(columns, i)
			header = append(header, strings.ToUpper(col.Name))
		}
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range table.Rows {
		var cells []string
		for _, i := range columns {
			cells = append(cells, cellText(table.ColumnDefinitions[i], row.Cells, i, now))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if len(table.Rows) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	return tw.Flush()
}

func cellText(col metav1.TableColumnDefinition, cells []any, i int, now time.Time) string {
	if i >= len(cells) || cells[i] == nil {
		return "<none>"
	}
	text := fmt.Sprint(cells[i])
	if col.Type == "date" {
		if t, err := time.Parse(time.RFC3339, text); err == nil {
			return duration.HumanDuration(now.Sub(t))
		}
	}
	if text == "" {
		return "<none>"
	}
	return text
}
