/**
 * The query GraphiQL opens with: one operation for a whole overview page, showing off the
 * relations (cluster → nodes → pods → job) and the numbers that come from the aggregates.
 */
export const EXAMPLE_QUERY = `# One operation, one round trip: every cluster with its health, its numbers,
# its busiest-looking nodes with their pods, and the job each pod belongs to.
# All of it is answered from the gateway's informer caches.
query Overview {
  clusters {
    name
    version
    status {
      ready
      reachable
      kinds { kind synced objects lastEventAt }
    }
    summary {
      nodes
      readyNodes
      podsByPhase { running pending failed succeeded }
      jobsByState { active complete failed }
      allocatable { cpuMillis memoryBytes }
      requested { cpuMillis memoryBytes }
    }
    nodes(first: 5) {
      totalCount
      edges {
        node {
          name
          ready
          roles
          podCount
          requested { cpuMillis memoryBytes }
          allocatable { cpuMillis memoryBytes pods }
          pods(first: 3, orderBy: { field: RESTARTS, direction: DESC }) {
            totalCount
            edges {
              node {
                namespace
                name
                phase
                restarts
                job { name state podsByPhase { succeeded failed } }
              }
            }
          }
        }
      }
    }
  }
}
`;

/**
 * GraphiQL's second tab: a nodes page with live usage (the metrics API, read at most once
 * per window for everyone), hottest nodes first, and the pods near their memory limit.
 */
export const USAGE_EXAMPLE_QUERY = `# Live usage, as \`kubectl top\` shows it: read from each cluster's metrics API
# (metrics-server) at most once per 15 s window, whoever asks.
query NodesWithUsage {
  clusters {
    name
    summary {
      usage { cpuMillis memoryBytes timestamp window }
      utilization { cpu memory }
      podsNearMemoryLimit
      podsOverCpuRequest
    }
    nodes(first: 20, orderBy: { field: CPU_UTILIZATION, direction: DESC }) {
      edges {
        node {
          name
          ready
          allocatable { cpuMillis memoryBytes }
          usage { cpuMillis memoryBytes timestamp }
          utilization { cpu memory }
          usageHistory(last: 8) { timestamp cpuMillis }
        }
      }
    }
    hot: pods(first: 5, memoryNearLimit: true, orderBy: { field: MEMORY_USAGE, direction: DESC }) {
      edges { node { namespace name usage { memoryBytes } utilization { memoryOfLimit } } }
    }
  }
}
`;
