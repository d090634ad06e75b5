package webhooks

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ratchet splits the problems of an updated object into those the update
// introduced or changed (refused) and those the stored object already had
// (kept). A problem is the same when its field, kind, message and offending
// value are: changing a legacy value is a new problem, keeping it is not.
func ratchet(errs, oldErrs field.ErrorList) (refused, kept field.ErrorList) {
	stored := make(map[string]bool, len(oldErrs))
	for _, e := range oldErrs {
		stored[problemKey(e)] = true
	}
	for _, e := range errs {
		if stored[problemKey(e)] {
			kept = append(kept, e)
		} else {
			refused = append(refused, e)
		}
	}
	return refused, kept
}

func problemKey(e *field.Error) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%v", e.Type, e.Field, e.Detail, e.BadValue)
}

func keptWarnings(kept field.ErrorList) []string {
	warnings := make([]string, len(kept))
	for i, e := range kept {
		warnings[i] = fmt.Sprintf("%s (accepted because this update does not change it; fix it when you can)", e.Error())
	}
	return warnings
}
