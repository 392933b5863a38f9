import type { Table } from '../schema.ts';

// rbac, networking, policy, scheduling, coordination, authentication and authorization v1.
// Field numbers from k8s.io/api and k8s.io/apimachinery v0.33 generated.proto; JSON names, omitempty
// and pointers from the Go structs. The notation is described in ../schema.ts.

export const rbacv1: Table = {
  Role: '1 metadata metav1.ObjectMeta; 2 rules []PolicyRule!',
  PolicyRule: `1 verbs []string!; 2 apiGroups []string; 3 resources []string; 4 resourceNames []string;
    5 nonResourceURLs []string`,
  ClusterRole: '1 metadata metav1.ObjectMeta; 2 rules []PolicyRule!; 3 aggregationRule *AggregationRule',
  AggregationRule: '1 clusterRoleSelectors []metav1.LabelSelector',
  RoleBinding: '1 metadata metav1.ObjectMeta; 2 subjects []Subject; 3 roleRef RoleRef',
  Subject: '1 kind string!; 2 apiGroup string; 3 name string!; 4 namespace string',
  RoleRef: '1 apiGroup string!; 2 kind string!; 3 name string!',
  ClusterRoleBinding: '1 metadata metav1.ObjectMeta; 2 subjects []Subject; 3 roleRef RoleRef',
};

export const networkingv1: Table = {
  Ingress: '1 metadata metav1.ObjectMeta; 2 spec IngressSpec; 3 status IngressStatus',
  IngressSpec: `4 ingressClassName *string; 1 defaultBackend *IngressBackend; 2 tls []IngressTLS;
    3 rules []IngressRule`,
  IngressBackend: '4 service *IngressServiceBackend; 3 resource *corev1.TypedLocalObjectReference',
  IngressServiceBackend: '1 name string!; 2 port ServiceBackendPort',
  ServiceBackendPort: '1 name string; 2 number int32',
  IngressTLS: '1 hosts []string; 2 secretName string',
  IngressRule: '1 host string; 2 (inline) IngressRuleValue',
  IngressRuleValue: '1 http *HTTPIngressRuleValue',
  HTTPIngressRuleValue: '1 paths []HTTPIngressPath!',
  HTTPIngressPath: '1 path string; 3 pathType *string!; 2 backend IngressBackend',
  IngressStatus: '1 loadBalancer IngressLoadBalancerStatus',
  IngressLoadBalancerStatus: '1 ingress []IngressLoadBalancerIngress',
  IngressLoadBalancerIngress: '1 ip string; 2 hostname string; 4 ports []IngressPortStatus',
  IngressPortStatus: '1 port int32!; 2 protocol string!; 3 error *string',
  NetworkPolicy: '1 metadata metav1.ObjectMeta; 2 spec NetworkPolicySpec',
  NetworkPolicySpec: `1 podSelector metav1.LabelSelector; 2 ingress []NetworkPolicyIngressRule;
    3 egress []NetworkPolicyEgressRule; 4 policyTypes []string`,
  NetworkPolicyIngressRule: '1 ports []NetworkPolicyPort; 2 from []NetworkPolicyPeer',
  NetworkPolicyPort: '1 protocol *string; 2 port *IntOrString; 3 endPort *int32',
  NetworkPolicyPeer: `1 podSelector *metav1.LabelSelector; 2 namespaceSelector *metav1.LabelSelector;
    3 ipBlock *IPBlock`,
  IPBlock: '1 cidr string!; 2 except []string',
  NetworkPolicyEgressRule: '1 ports []NetworkPolicyPort; 2 to []NetworkPolicyPeer',
};

export const policyv1: Table = {
  PodDisruptionBudget: `1 metadata metav1.ObjectMeta; 2 spec PodDisruptionBudgetSpec;
    3 status PodDisruptionBudgetStatus`,
  PodDisruptionBudgetSpec: `1 minAvailable *IntOrString; 2 selector *metav1.LabelSelector;
    3 maxUnavailable *IntOrString; 4 unhealthyPodEvictionPolicy *string`,
  PodDisruptionBudgetStatus: `1 observedGeneration int64; 2 disruptedPods map[string]Time;
    3 disruptionsAllowed int32!; 4 currentHealthy int32!; 5 desiredHealthy int32!; 6 expectedPods int32!;
    7 conditions []metav1.Condition`,
  Eviction: '1 metadata metav1.ObjectMeta; 2 deleteOptions *metav1.DeleteOptions',
};

export const schedulingv1: Table = {
  PriorityClass: `1 metadata metav1.ObjectMeta; 2 value int32!; 3 globalDefault bool; 4 description string;
    5 preemptionPolicy *string`,
};

export const coordinationv1: Table = {
  Lease: '1 metadata metav1.ObjectMeta; 2 spec LeaseSpec',
  LeaseSpec: `1 holderIdentity *string; 2 leaseDurationSeconds *int32; 3 acquireTime *MicroTime;
    4 renewTime *MicroTime; 5 leaseTransitions *int32; 6 strategy *string; 7 preferredHolder *string`,
};

export const authenticationv1: Table = {
  TokenRequest: '1 metadata metav1.ObjectMeta; 2 spec TokenRequestSpec; 3 status TokenRequestStatus',
  TokenRequestSpec: '1 audiences []string!; 4 expirationSeconds *int64!; 3 boundObjectRef *BoundObjectReference!',
  BoundObjectReference: '1 kind string; 2 apiVersion string; 3 name string; 4 uid string',
  TokenRequestStatus: '1 token string!; 2 expirationTimestamp Time',
  SelfSubjectReview: '1 metadata metav1.ObjectMeta; 2 status SelfSubjectReviewStatus',
  SelfSubjectReviewStatus: '1 userInfo UserInfo',
  UserInfo: '1 username string; 2 uid string; 3 groups []string; 4 extra map[string]ExtraValue',
  ExtraValue: '1 items []string',
};

// selectors in ResourceAttributes (fields 8, 9) are left out: kubectl sends them only when asked
export const authorizationv1: Table = {
  SelfSubjectAccessReview: '1 metadata metav1.ObjectMeta; 2 spec SelfSubjectAccessReviewSpec; 3 status SubjectAccessReviewStatus',
  SelfSubjectAccessReviewSpec: '1 resourceAttributes *ResourceAttributes; 2 nonResourceAttributes *NonResourceAttributes',
  ResourceAttributes: `1 namespace string; 2 verb string; 3 group string; 4 version string; 5 resource string;
    6 subresource string; 7 name string`,
  NonResourceAttributes: '1 path string; 2 verb string',
  SubjectAccessReviewStatus: '1 allowed bool!; 4 denied bool; 2 reason string; 3 evaluationError string',
  SelfSubjectRulesReview: '1 metadata metav1.ObjectMeta; 2 spec SelfSubjectRulesReviewSpec; 3 status SubjectRulesReviewStatus',
  SelfSubjectRulesReviewSpec: '1 namespace string',
  SubjectRulesReviewStatus: `1 resourceRules []ResourceRule!; 2 nonResourceRules []NonResourceRule!; 3 incomplete bool!;
    4 evaluationError string`,
  ResourceRule: '1 verbs []string!; 2 apiGroups []string; 3 resources []string; 4 resourceNames []string',
  NonResourceRule: '1 verbs []string!; 2 nonResourceURLs []string',
};
