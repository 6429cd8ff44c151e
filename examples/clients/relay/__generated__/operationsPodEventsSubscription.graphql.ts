/**
 * @generated SignedSource<<f7f91bd6f2520fe0211bb80879444df0>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ConcreteRequest } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type WatchEventType = "ADDED" | "DELETED" | "MODIFIED" | "%future added value";
export type operationsPodEventsSubscription$variables = {
  cluster: string;
  namespace: string;
};
export type operationsPodEventsSubscription$data = {
  readonly podEvents: {
    readonly object: {
      readonly id: string;
      readonly " $fragmentSpreads": FragmentRefs<"operations_pod">;
    };
    readonly type: WatchEventType;
  };
};
export type operationsPodEventsSubscription = {
  response: operationsPodEventsSubscription$data;
  variables: operationsPodEventsSubscription$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "cluster"
  },
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "namespace"
  }
],
v1 = [
  {
    "kind": "Variable",
    "name": "cluster",
    "variableName": "cluster"
  },
  {
    "kind": "Literal",
    "name": "initial",
    "value": true
  },
  {
    "kind": "Variable",
    "name": "namespace",
    "variableName": "namespace"
  }
],
v2 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "type",
  "storageKey": null
},
v3 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "id",
  "storageKey": null
};
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "operationsPodEventsSubscription",
    "selections": [
      {
        "alias": null,
        "args": (v1/*:: as any*/),
        "concreteType": "PodEvent",
        "kind": "LinkedField",
        "name": "podEvents",
        "plural": false,
        "selections": [
          (v2/*:: as any*/),
          {
            "alias": null,
            "args": null,
            "concreteType": "Pod",
            "kind": "LinkedField",
            "name": "object",
            "plural": false,
            "selections": [
              (v3/*:: as any*/),
              {
                "args": null,
                "kind": "FragmentSpread",
                "name": "operations_pod"
              }
            ],
            "storageKey": null
          }
        ],
        "storageKey": null
      }
    ],
    "type": "Subscription",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "operationsPodEventsSubscription",
    "selections": [
      {
        "alias": null,
        "args": (v1/*:: as any*/),
        "concreteType": "PodEvent",
        "kind": "LinkedField",
        "name": "podEvents",
        "plural": false,
        "selections": [
          (v2/*:: as any*/),
          {
            "alias": null,
            "args": null,
            "concreteType": "Pod",
            "kind": "LinkedField",
            "name": "object",
            "plural": false,
            "selections": [
              (v3/*:: as any*/),
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "name",
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "namespace",
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "phase",
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "concreteType": "KeyValue",
                "kind": "LinkedField",
                "name": "labels",
                "plural": true,
                "selections": [
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "key",
                    "storageKey": null
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "value",
                    "storageKey": null
                  }
                ],
                "storageKey": null
              }
            ],
            "storageKey": null
          }
        ],
        "storageKey": null
      }
    ]
  },
  "params": {
    "cacheID": "3ddb2c1f276600d029a7d44810d928d9",
    "id": null,
    "metadata": {},
    "name": "operationsPodEventsSubscription",
    "operationKind": "subscription",
    "text": "subscription operationsPodEventsSubscription(\n  $cluster: String!\n  $namespace: String!\n) {\n  podEvents(cluster: $cluster, namespace: $namespace, initial: true) {\n    type\n    object {\n      id\n      ...operations_pod\n    }\n  }\n}\n\nfragment operations_pod on Pod {\n  id\n  name\n  namespace\n  phase\n  labels {\n    key\n    value\n  }\n}\n"
  }
};
})();

(node as any).hash = "878fc782d71c73463f562bb18e0e3c46";

export default node;
