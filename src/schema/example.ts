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
