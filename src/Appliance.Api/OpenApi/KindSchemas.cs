using static Appliance.Api.OpenApi.Schema;

namespace Appliance.Api.OpenApi;

/// <summary>A kind's schema and whether clients may compute strategic merge patches from it.</summary>
/// <param name="Root">The kind's component (apiVersion, kind, metadata and its own fields).</param>
/// <param name="StrategicMergePatch">
/// True for Kubernetes' own kinds that are modelled completely: kubectl apply computes a strategic merge
/// patch from the published schema, which fails on a field the schema does not list. Partly modelled
/// kinds (Pod, Node) leave it false and kubectl uses its compiled-in types instead; our own kinds are
/// merge-patched, as kube-apiserver's custom resources are.
/// </param>
public sealed record KindSchema(SchemaNode Root, bool StrategicMergePatch);

/// <summary>
/// The one place kinds' fields are defined: (group, version, kind) to schema. The OpenAPI documents
/// publish these for the kinds the <see cref="ResourceRegistry"/> serves, and the engine drops (and,
/// under field validation, reports) fields a schema does not know. A served kind without an entry is
/// published as free-form and keeps every field.
/// </summary>
public static class KindSchemas
{
    private const string Core = "io.k8s.api.core.v1.";
    private const string Rbac = "io.k8s.api.rbac.v1.";

    private static readonly Dictionary<(string Group, string Version, string Kind), KindSchema> Table = Build();

    /// <summary>The schema of a kind; null when it is not modelled.</summary>
    public static KindSchema? Find(string group, string version, string kind)
        => Table.GetValueOrDefault((group, version, kind));

    private static Dictionary<(string, string, string), KindSchema> Build()
    {
        var table = new Dictionary<(string, string, string), KindSchema>();
        void Add(string group, string version, SchemaNode root, bool strategicMergePatch = true)
            => table.Add((group, version, root.Name![(root.Name!.LastIndexOf('.') + 1)..]), new KindSchema(root, strategicMergePatch));

        Add("", "v1", Namespace());
        Add("", "v1", ConfigMap());
        Add("", "v1", Secret());
        Add("", "v1", ServiceAccount());
        Add("", "v1", Event());
        Add("", "v1", Node(), strategicMergePatch: false);
        Add("", "v1", Pod(), strategicMergePatch: false);
        Add("apps", "v1", Kind("io.k8s.api.apps.v1.Deployment", "Runs replicas of a pod template (stored here; nothing schedules it).",
            [
                ("spec", FreeForm("The desired state: replicas, selector, template. Kept as sent.")),
                ("status", FreeForm("The observed state.")),
            ]), strategicMergePatch: false);
        SchemaNode policyRule = PolicyRule();
        Add("rbac.authorization.k8s.io", "v1", Kind(Rbac + "Role", "A namespaced set of permissions.",
            [("rules", List(policyRule, "The permissions of this role."))]));
        Add("rbac.authorization.k8s.io", "v1", Kind(Rbac + "ClusterRole", "A cluster-wide set of permissions, also usable in a namespace through a RoleBinding.",
            [
                ("aggregationRule", Ref(AggregationRule(), "When set, the rules are computed from the cluster roles it selects and any rules set directly are overwritten.")),
                ("rules", List(policyRule, "The permissions of this cluster role.")),
            ]));
        SchemaNode subject = Subject();
        SchemaNode roleRef = RoleRef();
        Add("rbac.authorization.k8s.io", "v1", Kind(Rbac + "RoleBinding", "Grants the permissions of a Role or ClusterRole to subjects within one namespace.",
            [
                ("roleRef", Ref(roleRef, "The Role in this namespace or the ClusterRole granted; cannot be changed once set.")),
                ("subjects", List(subject, "Who is granted the role.")),
            ],
            required: ["roleRef"]));
        Add("rbac.authorization.k8s.io", "v1", Kind(Rbac + "ClusterRoleBinding", "Grants the permissions of a ClusterRole to subjects in the whole cluster.",
            [
                ("roleRef", Ref(roleRef, "The ClusterRole granted; cannot be changed once set.")),
                ("subjects", List(subject, "Who is granted the role.")),
            ],
            required: ["roleRef"]));
        Add("management.appliance.io", "v1", Kind("io.appliance.management.v1.Setting", "A named server setting (Rancher's Setting).",
            [
                ("customized", Boolean("True when the value was set by an administrator rather than defaulted.")),
                ("default", String("The value used when value is empty.")),
                ("source", String("Where the value comes from, e.g. env when set by an environment variable.")),
                ("value", String("The setting's value; empty means the default.")),
            ]),
            strategicMergePatch: false);
        return table;
    }

    /// <summary>A kind's component: apiVersion, kind and metadata, then its own fields.</summary>
    private static SchemaNode Kind(string name, string description, (string Name, SchemaNode Schema)[] properties, string[]? required = null, bool preserveUnknownFields = false)
        => Component(name, description,
            [
                ("apiVersion", String("The versioned schema of this representation, e.g. v1 or rbac.authorization.k8s.io/v1.")),
                ("kind", String("The kind of object this is, in CamelCase.")),
                ("metadata", Ref(MetaSchemas.ObjectMeta, "Standard object metadata.")),
                .. properties,
            ],
            required,
            preserveUnknownFields);

    private static SchemaNode Namespace()
    {
        SchemaNode condition = Component(Core + "NamespaceCondition", "The state of one aspect of a namespace.",
            [
                ("lastTransitionTime", Time("When the condition last changed.")),
                ("message", String("Human-readable details.")),
                ("reason", String("Machine-readable reason of the last change.")),
                ("status", String("True, False or Unknown.")),
                ("type", String("The condition's type.")),
            ],
            required: ["type", "status"]);
        return Kind(Core + "Namespace", "A scope for names; most kinds are namespaced.",
            [
                ("spec", Ref(Component(Core + "NamespaceSpec", "The desired state of a namespace.",
                    [("finalizers", Strings("Must be empty before the namespace is removed from storage."))]),
                    "The desired state of the namespace.")),
                ("status", Ref(Component(Core + "NamespaceStatus", "The observed state of a namespace.",
                    [
                        ("conditions", List(condition, "The latest observations of the namespace's state.", mergeKey: "type", mapKeys: ["type"])),
                        ("phase", Enum("Active, or Terminating while it is being deleted.", "Active", "Terminating")),
                    ]),
                    "The observed state of the namespace (set by the server).")),
            ]);
    }

    private static SchemaNode ConfigMap() => Kind(Core + "ConfigMap", "Configuration data for workloads, as string (data) or binary (binaryData) values.",
        [
            ("binaryData", Map(new SchemaNode { Type = "string", Format = "byte" }, "Binary values, base64-encoded; keys must not also be in data.")),
            ("data", StringMap("UTF-8 string values; keys must not also be in binaryData.")),
            ("immutable", Boolean("When true, data and binaryData cannot be changed.")),
        ]);

    private static SchemaNode Secret() => Kind(Core + "Secret", "Sensitive data (passwords, tokens, keys), encrypted at rest.",
        [
            ("data", Map(new SchemaNode { Type = "string", Format = "byte" }, "The secret values, base64-encoded.")),
            ("immutable", Boolean("When true, data cannot be changed.")),
            ("stringData", StringMap("Write-only plain-text values, merged into data on write (stringData wins); never returned.")),
            ("type", String("How the data is used, e.g. Opaque (the default) or kubernetes.io/service-account-token.")),
        ]);

    private static SchemaNode ObjectReference() => Component(Core + "ObjectReference", "A reference to an object.",
        [
            ("apiVersion", String("API version of the referent.")),
            ("fieldPath", String("A field within the referent, e.g. spec.containers{name}.")),
            ("kind", String("Kind of the referent.")),
            ("name", String("Name of the referent.")),
            ("namespace", String("Namespace of the referent.")),
            ("resourceVersion", String("Resource version of the referent that was meant.")),
            ("uid", String("UID of the referent.")),
        ]);

    private static SchemaNode LocalObjectReference() => Component(Core + "LocalObjectReference", "A reference to an object in the same namespace.",
        [("name", String("Name of the referent."))]);

    private static SchemaNode ServiceAccount() => Kind(Core + "ServiceAccount", "An identity for processes, with the secrets they use.",
        [
            ("automountServiceAccountToken", Boolean("Whether pods running as this account get an API token mounted automatically.")),
            ("imagePullSecrets", List(LocalObjectReference(), "Secrets used to pull the images of pods running as this account.")),
            ("secrets", List(ObjectReference(), "Secrets pods running as this account may use.", mergeKey: "name")),
        ]);

    private static SchemaNode Event()
    {
        SchemaNode series = Component(Core + "EventSeries", "Data about a series of events that happen repeatedly.",
            [
                ("count", Int32("Occurrences in the series up to the last heartbeat.")),
                ("lastObservedTime", Time("When the last occurrence was observed.")),
            ]);
        SchemaNode source = Component(Core + "EventSource", "The component that reported an event.",
            [
                ("component", String("The component reporting the event.")),
                ("host", String("The node the event was generated on.")),
            ]);
        SchemaNode reference = ObjectReference();
        return Kind(Core + "Event", "A report of something that happened to an object.",
            [
                ("action", String("What was done, or failed, to the regarding object.")),
                ("count", Int32("How many times the event occurred.")),
                ("eventTime", Time("When the event was first observed (MicroTime).")),
                ("firstTimestamp", Time("When the event was first recorded.")),
                ("involvedObject", Ref(reference, "The object the event is about.")),
                ("lastTimestamp", Time("When the event last occurred.")),
                ("message", String("Human-readable description of the event.")),
                ("reason", String("Short, machine-readable reason, e.g. Created.")),
                ("related", Ref(reference, "A secondary object, for more complex actions.")),
                ("reportingComponent", String("The controller that emitted the event.")),
                ("reportingInstance", String("The instance of the controller that emitted the event.")),
                ("series", Ref(series, "Data about the series this event belongs to, if any.")),
                ("source", Ref(source, "The component reporting the event.")),
                ("type", String("Normal or Warning.")),
            ],
            required: ["metadata", "involvedObject"]);
    }

    private static SchemaNode Node()
    {
        SchemaNode taint = Component(Core + "Taint", "Repels pods that do not tolerate it from the node.",
            [
                ("effect", Enum("What happens to pods that do not tolerate the taint.", "NoExecute", "NoSchedule", "PreferNoSchedule")),
                ("key", String("The taint key.")),
                ("timeAdded", Time("When a NoExecute taint was added.")),
                ("value", String("The taint value.")),
            ],
            required: ["key", "effect"]);
        SchemaNode address = Component(Core + "NodeAddress", "An address of a node.",
            [
                ("address", String("The address.")),
                ("type", String("Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.")),
            ],
            required: ["type", "address"]);
        SchemaNode condition = Component(Core + "NodeCondition", "The state of one aspect of a node.",
            [
                ("lastHeartbeatTime", Time("When the condition was last probed.")),
                ("lastTransitionTime", Time("When the condition last changed.")),
                ("message", String("Human-readable details.")),
                ("reason", String("Machine-readable reason of the last change.")),
                ("status", String("True, False or Unknown.")),
                ("type", String("Ready, MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable.")),
            ],
            required: ["type", "status"]);
        SchemaNode quantity = Quantity("A resource quantity, e.g. 500m or 1Gi.");
        return Kind(Core + "Node", "A worker machine of a cluster.",
            [
                ("spec", Ref(Component(Core + "NodeSpec", "How the node is configured. Fields not listed here are kept as sent.",
                    [
                        ("podCIDR", String("The pod IP range assigned to the node.")),
                        ("podCIDRs", Strings("The pod IP ranges assigned to the node, one per IP family.", "set", "merge")),
                        ("providerID", String("The node's id at its cloud provider.")),
                        ("taints", List(taint, "The node's taints.")),
                        ("unschedulable", Boolean("When true, no new pods are scheduled to the node.")),
                    ],
                    preserveUnknownFields: true), "How the node is configured.")),
                ("status", Ref(Component(Core + "NodeStatus", "The observed state of a node. Fields not listed here are kept as sent.",
                    [
                        ("addresses", List(address, "The node's addresses.", mergeKey: "type", mapKeys: ["type"])),
                        ("allocatable", Map(quantity, "The resources available to pods.")),
                        ("capacity", Map(quantity, "The node's total resources.")),
                        ("conditions", List(condition, "The latest observations of the node's state.", mergeKey: "type", mapKeys: ["type"])),
                        ("nodeInfo", FreeForm("Versions and ids reported by the node.")),
                        ("phase", String("Deprecated.")),
                    ],
                    preserveUnknownFields: true), "The observed state of the node.")),
            ]);
    }

    private static SchemaNode Pod()
    {
        SchemaNode container = Container();
        SchemaNode condition = Component(Core + "PodCondition", "The state of one aspect of a pod.",
            [
                ("lastProbeTime", Time("When the condition was last probed.")),
                ("lastTransitionTime", Time("When the condition last changed.")),
                ("message", String("Human-readable details.")),
                ("reason", String("Machine-readable reason of the last change.")),
                ("status", String("True, False or Unknown.")),
                ("type", String("PodScheduled, Initialized, ContainersReady, Ready, ...")),
            ],
            required: ["type", "status"]);
        SchemaNode volume = Component(Core + "Volume", "A named volume pods' containers can mount; its source (configMap, secret, emptyDir, ...) is kept as sent.",
            [("name", String("The volume's name, unique in the pod."))],
            required: ["name"],
            preserveUnknownFields: true);
        SchemaNode podIp = Component(Core + "PodIP", "An IP address of a pod.", [("ip", String("The address."))], required: ["ip"]);
        return Kind(Core + "Pod", "A group of containers scheduled together on one node.",
            [
                ("spec", Ref(Component(Core + "PodSpec", "The desired state of a pod. Fields not listed here are kept as sent.",
                    [
                        ("activeDeadlineSeconds", Int64("How long the pod may run before it is failed.")),
                        ("affinity", FreeForm("Scheduling constraints.")),
                        ("automountServiceAccountToken", Boolean("Whether an API token is mounted automatically.")),
                        ("containers", List(container, "The containers of the pod; at least one.", mergeKey: "name", mapKeys: ["name"])),
                        ("dnsPolicy", String("ClusterFirstWithHostNet, ClusterFirst, Default or None.")),
                        ("enableServiceLinks", Boolean("Whether service environment variables are injected.")),
                        ("hostIPC", Boolean("Use the host's IPC namespace.")),
                        ("hostNetwork", Boolean("Use the host's network namespace.")),
                        ("hostPID", Boolean("Use the host's PID namespace.")),
                        ("hostname", String("The pod's hostname.")),
                        ("imagePullSecrets", List(LocalObjectReference(), "Secrets to pull the images with.", mergeKey: "name", mapKeys: ["name"])),
                        ("initContainers", List(container, "Containers run to completion, in order, before the others start.", mergeKey: "name", mapKeys: ["name"])),
                        ("nodeName", String("The node the pod is bound to.")),
                        ("nodeSelector", StringMap("Labels a node must have for the pod to run there.")),
                        ("priority", Int32("The pod's priority, from its priority class.")),
                        ("priorityClassName", String("The pod's priority class.")),
                        ("restartPolicy", Enum("Always, OnFailure or Never.", "Always", "OnFailure", "Never")),
                        ("runtimeClassName", String("The RuntimeClass to run the pod with.")),
                        ("schedulerName", String("The scheduler that places the pod.")),
                        ("securityContext", FreeForm("Pod-level security attributes.")),
                        ("serviceAccount", String("Deprecated alias of serviceAccountName.")),
                        ("serviceAccountName", String("The ServiceAccount the pod runs as.")),
                        ("subdomain", String("The pod's subdomain.")),
                        ("terminationGracePeriodSeconds", Int64("Seconds the pod has to stop gracefully.")),
                        ("tolerations", new SchemaNode { Type = "array", Items = FreeForm(""), ListType = "atomic", Description = "Taints the pod tolerates." }),
                        ("volumes", List(volume, "Volumes the containers can mount.", mergeKey: "name", patchStrategy: "merge,retainKeys", mapKeys: ["name"])),
                    ],
                    required: ["containers"],
                    preserveUnknownFields: true), "The desired state of the pod.")),
                ("status", Ref(Component(Core + "PodStatus", "The observed state of a pod. Fields not listed here are kept as sent.",
                    [
                        ("conditions", List(condition, "The latest observations of the pod's state.", mergeKey: "type", mapKeys: ["type"])),
                        ("containerStatuses", new SchemaNode { Type = "array", Items = FreeForm(""), ListType = "atomic", Description = "The state of each container." }),
                        ("hostIP", String("The IP of the node the pod runs on.")),
                        ("message", String("Why the pod is in its condition.")),
                        ("phase", Enum("Where the pod is in its lifecycle.", "Pending", "Running", "Succeeded", "Failed", "Unknown")),
                        ("podIP", String("The pod's IP address.")),
                        ("podIPs", List(podIp, "The pod's IP addresses, one per family.", mergeKey: "ip", mapKeys: ["ip"])),
                        ("qosClass", String("Guaranteed, Burstable or BestEffort.")),
                        ("reason", String("Short reason for the pod's state.")),
                        ("startTime", Time("When the kubelet acknowledged the pod.")),
                    ],
                    preserveUnknownFields: true), "The observed state of the pod (set by the node).")),
            ]);
    }

    private static SchemaNode Container()
    {
        SchemaNode envVar = Component(Core + "EnvVar", "An environment variable.",
            [
                ("name", String("The variable's name.")),
                ("value", String("The value; $(VAR) references are expanded.")),
                ("valueFrom", FreeForm("Where the value comes from (a ConfigMap or Secret key, a field, a resource).")),
            ],
            required: ["name"]);
        SchemaNode port = Component(Core + "ContainerPort", "A network port of a container.",
            [
                ("containerPort", Int32("The port number in the pod's IP.")),
                ("hostIP", String("The host IP to bind the host port to.")),
                ("hostPort", Int32("The port number on the host.")),
                ("name", String("An IANA_SVC_NAME for the port.")),
                ("protocol", Enum("TCP (the default), UDP or SCTP.", "TCP", "UDP", "SCTP")),
            ],
            required: ["containerPort"]);
        SchemaNode mount = Component(Core + "VolumeMount", "A volume mounted in a container.",
            [
                ("mountPath", String("Where the volume is mounted; must not contain ':'.")),
                ("mountPropagation", String("None, HostToContainer or Bidirectional.")),
                ("name", String("The name of the pod's volume.")),
                ("readOnly", Boolean("Mount read-only.")),
                ("recursiveReadOnly", String("Disabled, IfPossible or Enabled.")),
                ("subPath", String("A path within the volume to mount instead of its root.")),
                ("subPathExpr", String("Like subPath, with $(VAR) references expanded.")),
            ],
            required: ["name", "mountPath"]);
        SchemaNode quantity = Quantity("A resource quantity, e.g. 500m or 1Gi.");
        SchemaNode resources = Component(Core + "ResourceRequirements", "Compute resources a container needs and may use.",
            [
                ("claims", new SchemaNode { Type = "array", Items = FreeForm(""), ListType = "map", ListMapKeys = ["name"], Description = "Dynamically allocated resources used by the container." }),
                ("limits", Map(quantity, "The most the container may use.")),
                ("requests", Map(quantity, "What the container is guaranteed; defaults to limits.")),
            ]);
        return Component(Core + "Container", "A container of a pod. Fields not listed here are kept as sent.",
            [
                ("args", Strings("Arguments to the entrypoint.")),
                ("command", Strings("The entrypoint, instead of the image's.")),
                ("env", List(envVar, "Environment variables.", mergeKey: "name", mapKeys: ["name"])),
                ("envFrom", new SchemaNode { Type = "array", Items = FreeForm(""), ListType = "atomic", Description = "Sources of environment variables (ConfigMaps, Secrets)." }),
                ("image", String("The container image.")),
                ("imagePullPolicy", Enum("Always, Never or IfNotPresent.", "Always", "Never", "IfNotPresent")),
                ("lifecycle", FreeForm("Actions on container start and stop.")),
                ("livenessProbe", FreeForm("Restarts the container when it fails.")),
                ("name", String("The container's name, unique in the pod.")),
                ("ports", List(port, "Ports the container exposes.", mergeKey: "containerPort", mapKeys: ["containerPort", "protocol"])),
                ("readinessProbe", FreeForm("Removes the pod from service endpoints while it fails.")),
                ("resources", Ref(resources, "Compute resources.")),
                ("securityContext", FreeForm("Container-level security attributes.")),
                ("startupProbe", FreeForm("Other probes wait until it succeeds.")),
                ("stdin", Boolean("Allocate a buffer for stdin.")),
                ("terminationMessagePath", String("Where the container writes its termination message.")),
                ("terminationMessagePolicy", String("File or FallbackToLogsOnError.")),
                ("tty", Boolean("Allocate a TTY.")),
                ("volumeMounts", List(mount, "Volumes mounted in the container.", mergeKey: "mountPath", mapKeys: ["mountPath"])),
                ("workingDir", String("The working directory.")),
            ],
            required: ["name"],
            preserveUnknownFields: true);
    }

    private static SchemaNode PolicyRule() => Component(Rbac + "PolicyRule", "Verbs allowed on resources or non-resource URLs.",
        [
            ("apiGroups", Strings("The API groups of the resources; \"\" is the core group, \"*\" all groups.")),
            ("nonResourceURLs", Strings("URL paths (e.g. /healthz, or a prefix ending in *) the verbs apply to; only in ClusterRoles bound cluster-wide.")),
            ("resourceNames", Strings("Names of the objects the rule is limited to; empty means all.")),
            ("resources", Strings("The resources the rule applies to; \"*\" for all, \"pods/log\" for a subresource.")),
            ("verbs", Strings("The verbs allowed (get, list, watch, create, update, patch, delete, ...); \"*\" for all.")),
        ],
        required: ["verbs"]);

    private static SchemaNode AggregationRule() => Component(Rbac + "AggregationRule", "How a ClusterRole's rules are aggregated from other ClusterRoles.",
        [("clusterRoleSelectors", List(MetaSchemas.LabelSelector, "The ClusterRoles whose rules are aggregated; their union is used."))]);

    private static SchemaNode Subject() => Component(Rbac + "Subject", "A user, group or service account a role is granted to.",
        [
            ("apiGroup", String("\"\" for ServiceAccount, rbac.authorization.k8s.io for User and Group.")),
            ("kind", String("User, Group or ServiceAccount.")),
            ("name", String("The subject's name.")),
            ("namespace", String("The namespace of a ServiceAccount; empty for User and Group.")),
        ],
        required: ["kind", "name"]);

    private static SchemaNode RoleRef() => Component(Rbac + "RoleRef", "The role a binding grants.",
        [
            ("apiGroup", String("The group of the role: rbac.authorization.k8s.io.")),
            ("kind", String("Role or ClusterRole.")),
            ("name", String("The role's name.")),
        ],
        required: ["apiGroup", "kind", "name"]);
}
