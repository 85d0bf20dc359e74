package main

// Checks beyond the types: names and labels the API server would refuse, and references
// between the rendered objects (selectors that select a pod template, named ports that exist,
// volumes that are mounted and ConfigMaps that are rendered).

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

func checkAll(docs []*Document) []string {
	var problems []string
	add := func(d *Document, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s %s (%s): %s", d.Kind, d.Name, d.Source, fmt.Sprintf(format, args...)))
	}
	byKind := map[string]map[string]*Document{}
	for _, d := range docs {
		if byKind[d.Kind] == nil {
			byKind[d.Kind] = map[string]*Document{}
		}
		if byKind[d.Kind][d.Name] != nil {
			add(d, "rendered twice")
		}
		byKind[d.Kind][d.Name] = d
		m := d.Object.(metav1.Object)
		nameErrs := validation.IsDNS1123Subdomain(m.GetName())
		if d.Kind == "Service" {
			nameErrs = validation.IsDNS1035Label(m.GetName())
		}
		for _, e := range nameErrs {
			add(d, "metadata.name: %s", e)
		}
		for k, v := range m.GetLabels() {
			for _, e := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				add(d, "label %s=%s: %s", k, v, e)
			}
		}
	}
	templates := map[string]*corev1.PodTemplateSpec{}
	for name, d := range byKind["Deployment"] {
		dep := d.Object.(*appsv1.Deployment)
		templates[name] = &dep.Spec.Template
		if !selects(dep.Spec.Selector, dep.Spec.Template.Labels) {
			add(d, "spec.selector does not select the pod template's labels")
		}
		for _, p := range checkPod(&dep.Spec.Template.Spec, byKind["ConfigMap"]) {
			add(d, "%s", p)
		}
	}
	for _, d := range byKind["Service"] {
		svc := d.Object.(*corev1.Service)
		var pod *corev1.PodTemplateSpec
		for _, t := range templates {
			if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(t.Labels)) {
				pod = t
			}
		}
		if pod == nil {
			add(d, "spec.selector selects no rendered pod template")
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.TargetPort.StrVal != "" && !hasPort(&pod.Spec, p.TargetPort.StrVal) {
				add(d, "port %s: targetPort %q is no container port of the selected pods", p.Name, p.TargetPort.StrVal)
			}
		}
	}
	for _, d := range byKind["PodDisruptionBudget"] {
		pdb := d.Object.(*policyv1.PodDisruptionBudget)
		if !selectsAny(pdb.Spec.Selector, templates) {
			add(d, "spec.selector selects no rendered pod template")
		}
		if (pdb.Spec.MaxUnavailable == nil) == (pdb.Spec.MinAvailable == nil) {
			add(d, "give exactly one of minAvailable and maxUnavailable")
		}
	}
	for _, d := range byKind["ServiceMonitor"] {
		sm := d.Object.(*monitoringv1.ServiceMonitor)
		matched := 0
		for _, s := range byKind["Service"] {
			svc := s.Object.(*corev1.Service)
			if !selects(&sm.Spec.Selector, svc.Labels) {
				continue
			}
			matched++
			for _, ep := range sm.Spec.Endpoints {
				if !servicePort(svc, ep.Port) {
					add(d, "endpoint port %q is not a port of Service %s", ep.Port, svc.Name)
				}
			}
		}
		if matched == 0 {
			add(d, "spec.selector selects no rendered Service")
		}
	}
	for _, d := range byKind["ScaledObject"] {
		so := d.Object.(*ScaledObject)
		if so.Spec.ScaleTargetRef == nil || byKind["Deployment"][so.Spec.ScaleTargetRef.Name] == nil {
			add(d, "spec.scaleTargetRef names no rendered Deployment")
		} else if dep := byKind["Deployment"][so.Spec.ScaleTargetRef.Name].Object.(*appsv1.Deployment); dep.Spec.Replicas != nil {
			add(d, "its Deployment sets spec.replicas, which KEDA's HPA would fight")
		}
		if len(so.Spec.Triggers) == 0 {
			add(d, "spec.triggers is empty")
		}
		for i, t := range so.Spec.Triggers {
			if t.Type == "" || len(t.Metadata) == 0 {
				add(d, "spec.triggers[%d]: type and metadata are required", i)
			}
		}
		if so.Spec.MinReplicaCount != nil && so.Spec.MaxReplicaCount != nil && *so.Spec.MinReplicaCount > *so.Spec.MaxReplicaCount {
			add(d, "minReplicaCount is above maxReplicaCount")
		}
	}
	return problems
}

func selects(sel *metav1.LabelSelector, set map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(set))
}

func selectsAny(sel *metav1.LabelSelector, templates map[string]*corev1.PodTemplateSpec) bool {
	for _, t := range templates {
		if selects(sel, t.Labels) {
			return true
		}
	}
	return false
}

func hasPort(pod *corev1.PodSpec, name string) bool {
	for _, c := range pod.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

func servicePort(svc *corev1.Service, name string) bool {
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}

// checkPod: container and port names, probes on named ports that exist, mounts of declared
// volumes, ConfigMap volumes that the chart renders.
func checkPod(pod *corev1.PodSpec, configMaps map[string]*Document) []string {
	var out []string
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
		for _, e := range validation.IsDNS1123Label(v.Name) {
			out = append(out, fmt.Sprintf("volume %s: %s", v.Name, e))
		}
		if v.ConfigMap != nil && configMaps[v.ConfigMap.Name] == nil {
			out = append(out, fmt.Sprintf("volume %s: ConfigMap %s is not rendered", v.Name, v.ConfigMap.Name))
		}
	}
	if len(pod.Containers) == 0 {
		out = append(out, "no containers")
	}
	for _, c := range pod.Containers {
		for _, e := range validation.IsDNS1123Label(c.Name) {
			out = append(out, fmt.Sprintf("container %s: %s", c.Name, e))
		}
		if c.Image == "" {
			out = append(out, fmt.Sprintf("container %s: no image", c.Name))
		}
		for _, p := range c.Ports {
			for _, e := range validation.IsValidPortName(p.Name) {
				out = append(out, fmt.Sprintf("container %s: port %s: %s", c.Name, p.Name, e))
			}
		}
		for what, probe := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" && !hasPort(&corev1.PodSpec{Containers: []corev1.Container{c}}, probe.HTTPGet.Port.StrVal) {
				out = append(out, fmt.Sprintf("container %s: %s: port %q is not a container port", c.Name, what, probe.HTTPGet.Port.StrVal))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				out = append(out, fmt.Sprintf("container %s: volumeMount %s names no volume", c.Name, m.Name))
			}
		}
		seen := map[string]bool{}
		for _, e := range c.Env {
			if seen[e.Name] {
				out = append(out, fmt.Sprintf("container %s: env %s given twice", c.Name, e.Name))
			}
			seen[e.Name] = true
		}
	}
	return out
}
