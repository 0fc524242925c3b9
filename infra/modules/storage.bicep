// Storage account for the Functions host (AzureWebJobsStorage: Durable Functions task hub queues
// and tables, timer leases), the Flex Consumption deployment package, and the app's blobs.
// Shared keys are disabled: every client (host, durable extension, app code, deployment) uses
// Entra ID through the app's managed identity, granted in app/rbac.bicep.

param location string
param tags object
param name string
@description('Blob containers the app reads and writes (STORAGE__blobServiceUri).')
param appContainers array = [ 'models', 'images' ]
@description('Container the Flex Consumption plan deploys the app package from.')
param deploymentContainer string = 'app-package'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in concat(appContainers, [ deploymentContainer ]): {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
