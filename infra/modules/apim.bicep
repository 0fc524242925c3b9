// API Management (Consumption tier) in front of the Functions app: one API whose wildcard
// operations forward every method and path to the app's /api routes, with the JWT check and the
// development-route block of apim-api-policy.xml. Auth values are named values so the policy XML
// stays a static file.

param location string
param tags object
param name string
param publisherEmail string
param publisherName string
@description('Host name of the Functions app (e.g. func-xyz.azurewebsites.net).')
param backendHostName string
param authIssuer string
param authAudience string
param authOpenIdConfigUrl string
param authClockSkewSeconds int

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Consumption', capacity: 0 }
  identity: { type: 'SystemAssigned' }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
  }
}

var namedValues = {
  'auth-issuer': authIssuer
  'auth-audience': authAudience
  'auth-openid-config-url': authOpenIdConfigUrl
  'auth-clock-skew-seconds': string(authClockSkewSeconds)
}

resource values 'Microsoft.ApiManagement/service/namedValues@2023-05-01-preview' = [
  for value in items(namedValues): {
    parent: apim
    name: value.key
    properties: {
      displayName: value.key
      value: value.value
      secret: false
    }
  }
]

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: 'smartcommerce'
  properties: {
    displayName: 'SmartCommerce'
    path: 'api'
    protocols: [ 'https' ]
    serviceUrl: 'https://${backendHostName}/api'
    // The app does its own bearer-token auth; APIM subscription keys would be a second, unrelated credential.
    subscriptionRequired: false
  }
}

var methods = [ 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS' ]

resource operations 'Microsoft.ApiManagement/service/apis/operations@2023-05-01-preview' = [
  for method in methods: {
    parent: api
    name: 'all-${toLower(method)}'
    properties: {
      displayName: '${method} /*'
      method: method
      urlTemplate: '/*'
    }
  }
]

resource policy 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: loadTextContent('apim-api-policy.xml')
  }
  // The policy refers to the named values, which must exist first.
  dependsOn: [ values ]
}

output name string = apim.name
output gatewayUrl string = '${apim.properties.gatewayUrl}/api'
