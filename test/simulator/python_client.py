"""The official Kubernetes Python client (Debian's python3-kubernetes) against the simulator.

Run by test/simulator/python-client.test.ts with a kubeconfig path; prints one JSON
object with what it saw. It lists, pages with limit/_continue, watches with
allow_watch_bookmarks=True (the client sends watch=True&allowWatchBookmarks=True),
meets a 410 after the simulator compacts its history and relists, dry-run deletes and
deletes.
"""

import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def main() -> None:
    kubeconfig, namespace = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    api_client = client.ApiClient()
    v1 = client.CoreV1Api(api_client)
    out = {}

    full = v1.list_pod_for_all_namespaces()
    out["listed"] = sorted(f"{p.metadata.namespace}/{p.metadata.name}" for p in full.items)
    out["listRV"] = full.metadata.resource_version

    paged, pages, remaining, token = [], 0, [], None
    while True:
        page = v1.list_pod_for_all_namespaces(limit=5, _continue=token)
        pages += 1
        paged += [f"{p.metadata.namespace}/{p.metadata.name}" for p in page.items]
        token = page.metadata._continue
        if not token:
            break
        remaining.append(page.metadata.remaining_item_count)
    out["paged"] = sorted(paged)
    out["pages"] = pages
    out["remaining"] = remaining

    # A watch with bookmarks from the list's resourceVersion: the pod created by the
    # test harness meanwhile is ADDED; bookmarks come every few hundred ms.
    v1.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "from-python"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    )
    types, names = [], []
    w = watch.Watch()
    for event in w.stream(
        v1.list_namespaced_pod,
        namespace,
        resource_version=full.metadata.resource_version,
        allow_watch_bookmarks=True,
        timeout_seconds=2,
    ):
        types.append(event["type"])
        if event["type"] != "BOOKMARK":
            names.append(event["object"].metadata.name)
        if "BOOKMARK" in types and "from-python" in names:
            w.stop()
    out["watchTypes"] = sorted(set(types))
    out["watchNames"] = names

    # The simulator forgets its history (fault injection): a watch from the old
    # resourceVersion meets 410 Gone, which the client raises, and the client relists.
    api_client.call_api(
        "/simulator/faults",
        "POST",
        body={"compact": True},
        auth_settings=["BearerToken"],
        response_type="object",
        _return_http_data_only=True,
    )
    # With timeout_seconds the client raises the 410 at once (without, it retries once first).
    try:
        for _ in watch.Watch().stream(
            v1.list_namespaced_pod, namespace, resource_version=full.metadata.resource_version, timeout_seconds=5
        ):
            pass
        out["gone"] = None
    except ApiException as err:
        out["gone"] = err.status
    relisted = v1.list_namespaced_pod(namespace)
    out["relistRV"] = relisted.metadata.resource_version
    out["relisted"] = "from-python" in [p.metadata.name for p in relisted.items]

    v1.delete_namespaced_pod("from-python", namespace, dry_run="All")
    out["afterDryRun"] = v1.read_namespaced_pod("from-python", namespace).metadata.name
    v1.delete_namespaced_pod("from-python", namespace)
    try:
        v1.read_namespaced_pod("from-python", namespace)
        out["afterDelete"] = 200
    except ApiException as err:
        out["afterDelete"] = err.status

    print(json.dumps(out))


if __name__ == "__main__":
    main()
