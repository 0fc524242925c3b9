// The Functions app on a Flex Consumption plan (Linux, Python 3.11) with a system-assigned
// managed identity. Flex Consumption takes the runtime and the deployment package location from
// functionAppConfig, and refuses FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION as app
// settings, so those are not set here.

param location string
param tags object
param planName string
param appName string
@description('Blob container URL the app package is deployed to (read with the app identity).')
param deploymentContainerUrl string
@description('App settings as a name -> value object (built in main.bicep).')
param appSettings object
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100
@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048
@description('Instances kept warm for the HTTP trigger group (0: none, scale from zero).')
@minValue(0)
param alwaysReadyHttp int = 0
@description('Concurrent HTTP requests per instance before the platform scales out.')
@minValue(1)
param httpPerInstanceConcurrency int = 16
@description('Origins of browser clients; the platform answers their preflights (OPTIONS) itself.')
param corsAllowedOrigins array = []

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyHttp > 0 ? [ { name: 'http', instanceCount: alwaysReadyHttp } ] : []
        triggers: { http: { perInstanceConcurrency: httpPerInstanceConcurrency } }
      }
      runtime: { name: 'python', version: '3.11' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Platform CORS: requests straight to the app (API Management's <cors> policy covers the gateway).
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
      appSettings: [for setting in items(appSettings): { name: setting.key, value: string(setting.value) }]
    }
  }
}

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
