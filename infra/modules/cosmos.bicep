// Cosmos DB for NoSQL: account, one database, and one container per entry in ../containers.json.
// Keys are disabled (disableLocalAuth): the app reaches it with its managed identity through the
// data-plane role granted in app/rbac.bicep, and its COSMOS__accountEndpoint setting.

param location string
param tags object
param accountName string
param databaseName string
@description('serverless: pay per request (dev/test, spiky load). autoscale: provisioned RU/s shared by the database.')
@allowed([ 'serverless', 'autoscale' ])
param capacityMode string = 'serverless'
@description('Autoscale ceiling for the shared database throughput (ignored when serverless).')
@minValue(1000)
param autoscaleMaxThroughput int = 1000

// Shape: {"containers": [{"name": "...", "partitionKey": "/path", "defaultTtl"?: -1 | seconds,
//   "compositeIndexes"?: [[{"path": "/name", "order": "ascending"}, {"path": "/id", ...}], ...]}]};
// tests/unit/test_infra.py and tests/unit/test_index_policy.py check it.
var containerSpec = loadJsonContent('../containers.json')
var serverless = capacityMode == 'serverless'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [
      { locationName: location, failoverPriority: 0, isZoneRedundant: false }
    ]
    capabilities: serverless ? [ { name: 'EnableServerless' } ] : []
    disableLocalAuth: true
    // Schema changes (containers, throughput) go through ARM only, never through data-plane keys.
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    // Serverless accounts reject throughput settings; autoscale is shared by all containers.
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for container in containerSpec.containers: {
    parent: database
    name: container.name
    properties: {
      // TTL only where containers.json asks for it (-1: on, each item sets its own `ttl`).
      resource: union({
        id: container.name
        partitionKey: { paths: [ container.partitionKey ], kind: 'Hash', version: 2 }
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: [ { path: '/*' } ]
          excludedPaths: [ { path: '/"_etag"/?' } ]
          // Every sort the container's queries run, (paths..., /id): keyset paging sorts on two or
          // more paths, which Cosmos serves only from a composite index (shared/adapters/index_policy.py).
          compositeIndexes: container.?compositeIndexes ?? []
        }
      }, contains(container, 'defaultTtl') ? { defaultTtl: container.?defaultTtl } : {})
    }
  }
]

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
