// Log Analytics workspace + workspace-based Application Insights.
// Local (instrumentation-key) auth is off by default: telemetry is sent with the app's managed
// identity, which rbac.bicep grants "Monitoring Metrics Publisher" on this component.

param location string
param tags object
param logAnalyticsName string
param appInsightsName string
@description('Refuse telemetry sent with the instrumentation key alone (Entra ID auth only).')
param disableLocalAuth bool = true
@minValue(30)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: disableLocalAuth
  }
}

output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
