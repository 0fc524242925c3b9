// Azure SignalR Service for live order status (functions/notifications.py: the `realtime/negotiate`
// function's signalRConnectionInfo input binding and `on_order_status_changed`'s signalR output
// binding, hub `orders`). Serverless mode: no hub server of ours, the Functions bindings drive it.
// Access keys are disabled; the app reaches it with its managed identity
// (`AzureSignalRConnectionString__serviceUri` in main.bicep, SignalR Service Owner in app/rbac.bicep).

param location string
param tags object
param name string
@allowed([ 'Free_F1', 'Standard_S1' ])
@description('Free_F1 allows 20 concurrent connections (trials); Standard_S1 1,000 per unit.')
param skuName string = 'Standard_S1'
@minValue(1)
@maxValue(100)
param capacity int = 1
@description('Origins browsers may open the real-time connection from (CORS). The connection still needs the token negotiate hands out.')
param allowedOrigins array = [ '*' ]

resource signalR 'Microsoft.SignalRService/signalR@2023-02-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  sku: {
    name: skuName
    capacity: skuName == 'Free_F1' ? 1 : capacity
  }
  properties: {
    features: [
      { flag: 'ServiceMode', value: 'Serverless' }
      { flag: 'EnableConnectivityLogs', value: 'True' }
    ]
    cors: { allowedOrigins: allowedOrigins }
    // Entra ID only (like Service Bus and Storage here): the Functions extension (1.7+) mints
    // client tokens with the app identity, so no connection string exists to leak.
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = signalR.name
output hostName string = signalR.properties.hostName
output serviceUri string = 'https://${signalR.properties.hostName}'
