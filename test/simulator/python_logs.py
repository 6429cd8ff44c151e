"""The official Kubernetes Python client reading container logs and metrics.k8s.io.

Run by test/simulator/python-client.test.ts with a kubeconfig path, a namespace, a pod and a
container that has restarted; prints one JSON object with what it read: the previous run's
last lines (read_namespaced_pod_log(previous=True, tail_lines=...)), the current run's with
timestamps, the 400 of a container the pod does not have, and the node and pod metrics as
CustomObjectsApi lists them.
"""

import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException


def main() -> None:
    kubeconfig, namespace, pod, container = sys.argv[1:5]
    config.load_kube_config(config_file=kubeconfig)
    api_client = client.ApiClient()
    v1 = client.CoreV1Api(api_client)
    out = {}
    out["previous"] = v1.read_namespaced_pod_log(
        pod, namespace, container=container, previous=True, tail_lines=8
    )
    out["current"] = v1.read_namespaced_pod_log(
        pod, namespace, container=container, tail_lines=3, timestamps=True
    )
    try:
        v1.read_namespaced_pod_log(pod, namespace, container="nope")
    except ApiException as err:
        out["badContainer"] = {"status": err.status, "message": json.loads(err.body)["message"]}

    metrics = client.CustomObjectsApi(api_client)
    nodes = metrics.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    out["nodeMetrics"] = {"kind": nodes["kind"], "names": [n["metadata"]["name"] for n in nodes["items"]]}
    pods = metrics.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods")
    out["podMetrics"] = sorted(p["metadata"]["name"] for p in pods["items"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
