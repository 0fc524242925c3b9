// SmartCommerce in Azure: one Functions app (Flex Consumption, Python 3.11) behind API Management,
// on Cosmos DB, Service Bus and Blob Storage, with secrets in Key Vault and telemetry in
// Application Insights. Every connection uses the app's managed identity (app/rbac.bicep).
// Deploy into an existing resource group; see docs/deployment.md.

targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the environment (e.g. prod, staging); part of every resource name.')
param environmentName string

param location string = resourceGroup().location

// --- Cosmos DB ------------------------------------------------------------------------------------
@allowed([ 'serverless', 'autoscale' ])
param cosmosCapacityMode string = 'serverless'
@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 1000
param cosmosDatabaseName string = 'smartcommerce'

// --- auth (Entra External ID / B2C) -------------------------------------------------------------
@description('Expected token issuer (AUTH_ISSUER), e.g. https://<tenant-id>.ciamlogin.com/<tenant-id>/v2.0')
param authIssuer string
@description('Expected token audience (AUTH_AUDIENCE), e.g. api://smartcommerce')
param authAudience string
@description('JWKS document the app verifies token signatures with (AUTH_JWKS_URI).')
param authJwksUri string
@description('OpenID configuration API Management validates tokens with.')
param authOpenIdConfigUrl string = '${authIssuer}/.well-known/openid-configuration'
@minValue(0)
@maxValue(300)
param authLeewaySeconds int = 30

// --- app ------------------------------------------------------------------------------------------
@allowed([ 'DEBUG', 'INFO', 'WARNING', 'ERROR' ])
param logLevel string = 'INFO'
// Flex Consumption sizing (docs/performance.md, "Azure sizing"): 1,000 orders/s at peak needs about
// 60 instances of 2 GB at the measured per-order cost; 200 leaves room for the catalog reads
// and a burst. Always-ready HTTP instances remove cold starts from the first requests of a peak
// (billed while idle, so 0 unless a deployment asks for them).
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 200
@minValue(0)
@maxValue(100)
param functionAlwaysReadyHttp int = 0
@description('Concurrent HTTP requests one instance takes before Flex adds another.')
@minValue(1)
@maxValue(1000)
param functionHttpPerInstanceConcurrency int = 16
@description('Fraud score (0..1) from which an order waits for a person (FRAUD_REVIEW_THRESHOLD; Bicep has no float type).')
param fraudReviewThreshold string = '0.5'
@description('Fraud score (0..1) from which an order is rejected (FRAUD_REJECT_THRESHOLD).')
param fraudRejectThreshold string = '0.9'
@description('Budget for each fraud model version\'s review cut-off: share of legitimate orders sent to review (FRAUD_REVIEW_FPR).')
param fraudReviewFpr string = '0.02'
@description('Review capacity: share of all orders a person can review; 0 = no limit (FRAUD_REVIEW_CAPACITY).')
param fraudReviewCapacity string = '0'
@description('Budget for the reject cut-off: share of legitimate orders refused outright (FRAUD_REJECT_FPR).')
param fraudRejectFpr string = '0.002'
@description('How often a worker checks for a newly promoted ML model version (MODEL_REFRESH_SECONDS).')
@minValue(0)
@maxValue(3600)
param modelRefreshSeconds int = 30
@secure()
@description('Base64 AES-256 card-vault key written to Key Vault. Leave empty after the first deployment (the secret stays).')
param cardVaultKey string = ''
param keyVaultPurgeProtection bool = true
@description('Application Insights accepts Entra ID-authenticated telemetry only.')
param appInsightsDisableLocalAuth bool = true

// --- API Management -------------------------------------------------------------------------------
param apimPublisherEmail string
param apimPublisherName string = 'SmartCommerce'

// --- notifications --------------------------------------------------------------------------------
// Off unless configured: a channel turned on without its settings (SMTP host, ACS endpoint and
// sender, webhook URL) is refused when the app starts, not at its first send.
@allowed([ 'off', 'smtp', 'acs' ])
@description('Email channel (NOTIFY_EMAIL_CHANNEL): off, an SMTP relay (smtpHost), or Azure Communication Services (acsEndpoint, acsEmailSender).')
param notifyEmailChannel string = 'off'
@allowed([ 'off', 'acs' ])
@description('SMS channel (NOTIFY_SMS_CHANNEL): off, or Azure Communication Services (acsEndpoint, acsSmsFrom).')
param notifySmsChannel string = 'off'
@allowed([ 'off', 'webhook' ])
@description('Push channel (NOTIFY_PUSH_CHANNEL): off, or a provider webhook (pushWebhookUrl).')
param notifyPushChannel string = 'off'
@description('SMTP relay (SMTP_HOST / SMTP_PORT / SMTP_FROM / SMTP_USERNAME); the password is a Key Vault reference set by hand.')
param smtpHost string = ''
param smtpPort int = 587
param smtpFrom string = 'SmartCommerce <no-reply@example.com>'
param smtpUsername string = ''
@description('Azure Communication Services endpoint (ACS_ENDPOINT), sender address and SMS number.')
param acsEndpoint string = ''
param acsEmailSender string = ''
param acsSmsFrom string = ''
@description('Push provider webhook (PUSH_WEBHOOK_URL).')
param pushWebhookUrl string = ''
@allowed([ 'Free_F1', 'Standard_S1' ])
@description('Azure SignalR Service tier for live order status (Free_F1: 20 connections, for trials).')
param signalRSku string = 'Standard_S1'
@description('Origins browsers may open the live order-status connection from (default: the CORS origins).')
param signalRAllowedOrigins array = corsAllowedOrigins

// --- browser clients ------------------------------------------------------------------------------
@description('Origins of browser clients (e.g. https://shop.example.com): CORS of the Functions app and the APIM <cors> policy. Empty: no browser origin.')
param corsAllowedOrigins array = []

// --- outbox relay -----------------------------------------------------------------------------------
@description('NCRONTAB schedule of the outbox relay timer (OUTBOX_RELAY_SCHEDULE); docs/storage.md has its cost.')
param outboxRelaySchedule string = '*/5 * * * * *'

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName, application: 'smartcommerce' }

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${token}'
    appInsightsName: 'appi-${token}'
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: 'st${token}'
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    tags: tags
    accountName: 'cosmos-${token}'
    databaseName: cosmosDatabaseName
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    tags: tags
    name: 'sb-${token}'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: 'kv-${token}'
    enablePurgeProtection: keyVaultPurgeProtection
    cardVaultKey: cardVaultKey
  }
}

module signalR 'modules/signalr.bicep' = {
  name: 'signalr'
  params: {
    location: location
    tags: tags
    name: 'sigr-${token}'
    skuName: signalRSku
    allowedOrigins: signalRAllowedOrigins
  }
}

// Every app setting the app gets. Names are the env var names shared/settings.py reads, plus the
// host-only names listed in infra/README.md; tests/unit/test_infra.py keeps the three in step.
// Settings not listed here either keep a default that is right for Azure or are development-only
// (both listed in infra/README.md).
// FUNCTIONS_WORKER_PROCESS_COUNT (Python worker processes per instance; devhost emulates it) is
// deliberately absent: Flex Consumption does not take it and scales by instances instead.
var appSettings = union({
  // Functions host: identity-based AzureWebJobsStorage (durable task hub, timers).
  AzureWebJobsStorage__accountName: storage.outputs.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  SC_ENV: 'production'
  SC_LOG_LEVEL: logLevel
  SC_DOCUMENT_STORE: 'cosmos'
  SC_BLOB_STORE: 'azure'
  SC_EVENT_BUS: 'servicebus'
  AUTH_ISSUER: authIssuer
  AUTH_AUDIENCE: authAudience
  AUTH_JWKS_URI: authJwksUri
  AUTH_LEEWAY_SECONDS: string(authLeewaySeconds)
  // Bound on how soon a role change reaches every instance (docs/security.md).
  AUTH_ROLES_CACHE_SECONDS: '30'
  COSMOS__accountEndpoint: cosmos.outputs.endpoint
  COSMOS_DATABASE: cosmos.outputs.databaseName
  // Per-call bound and 429 budget, below the Functions timeout (shared/settings.py explains).
  COSMOS_TIMEOUT_SECONDS: '10'
  COSMOS_THROTTLE_RETRIES: '3'
  COSMOS_THROTTLE_WAIT_SECONDS: '5'
  SERVICEBUS__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  SERVICEBUS_TOPIC: serviceBus.outputs.topicName
  STORAGE__blobServiceUri: storage.outputs.blobEndpoint
  FRAUD_REVIEW_THRESHOLD: fraudReviewThreshold
  FRAUD_REJECT_THRESHOLD: fraudRejectThreshold
  FRAUD_REVIEW_FPR: fraudReviewFpr
  FRAUD_REVIEW_CAPACITY: fraudReviewCapacity
  FRAUD_REJECT_FPR: fraudRejectFpr
  MODEL_REFRESH_SECONDS: string(modelRefreshSeconds)
  ORDER_REVIEW_TIMEOUT_SECONDS: '86400'
  ORDER_RECOVERY_GRACE_SECONDS: '60'
  ORDER_RECOVERY_SCHEDULE: '0 * * * * *'
  OUTBOX_RELAY_SCHEDULE: outboxRelaySchedule
  // The platform answers CORS from siteConfig.cors (functionapp.bicep); the same origins here keep
  // the setting devhost reads (local.settings.json) in step with Azure.
  CORS_ALLOWED_ORIGINS: join(corsAllowedOrigins, ',')
  CATALOG_CACHE_TTL_SECONDS: '5'
  CATALOG_LISTING_STOCK_TTL_SECONDS: '1'
  INVENTORY_RESERVATION_TTL_SECONDS: '900'
  INVENTORY_LOW_STOCK_THRESHOLD: '5'
  PRICING_MIN_MARGIN: '0.1'
  PRICING_MAX_STEP: '0.1'
  PRICING_APPROVAL_THRESHOLD: '0.05'
  PRICING_APPROVAL_TIMEOUT_SECONDS: '259200'
  PRICING_PROPOSAL_SCHEDULE: '0 0 3 * * *'
  INVENTORY_FORECAST_SCHEDULE: '0 0 4 * * *'
  INVENTORY_FORECAST_HORIZON_DAYS: '28'
  INVENTORY_FORECAST_METHODS: 'fast'
  INVENTORY_LEAD_TIME_DAYS: '7'
  INVENTORY_SERVICE_LEVEL: '0.95'
  RECS_CATALOG_REFRESH_SECONDS: '5'
  RECS_HISTORY_CACHE_SECONDS: '1'
  RECS_EXPERIMENT_CACHE_SECONDS: '5'
  RECS_HALF_LIFE_DAYS: '30'
  SEARCH_SYNC_SECONDS: '1'
  NOTIFY_EMAIL_CHANNEL: notifyEmailChannel
  NOTIFY_SMS_CHANNEL: notifySmsChannel
  NOTIFY_PUSH_CHANNEL: notifyPushChannel
  SMTP_HOST: smtpHost
  SMTP_PORT: string(smtpPort)
  SMTP_FROM: smtpFrom
  SMTP_USERNAME: smtpUsername
  SMTP_STARTTLS: 'true'
  ACS_ENDPOINT: acsEndpoint
  ACS_EMAIL_SENDER: acsEmailSender
  ACS_SMS_FROM: acsSmsFrom
  PUSH_WEBHOOK_URL: pushWebhookUrl
  // The SignalR bindings' connection (connectionStringSetting "AzureSignalRConnectionString"),
  // identity-based: the service URI, no key.
  AzureSignalRConnectionString__serviceUri: signalR.outputs.serviceUri
  // Resolved by the platform with the app identity; the code sees the secret's value.
  CARD_VAULT_KEY: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${keyVault.outputs.cardVaultKeySecretName})'
}, appInsightsDisableLocalAuth ? {
  // Local auth is off: the host and the Python exporter (azure-monitor-opentelemetry reads this
  // variable) send telemetry with the managed identity.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
} : {})

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: 'plan-${token}'
    appName: 'func-${token}'
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
    maximumInstanceCount: functionMaximumInstanceCount
    alwaysReadyHttp: functionAlwaysReadyHttp
    httpPerInstanceConcurrency: functionHttpPerInstanceConcurrency
    corsAllowedOrigins: corsAllowedOrigins
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: functionApp.outputs.principalId
    cosmosAccountName: cosmos.outputs.accountName
    serviceBusNamespaceName: serviceBus.outputs.name
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    signalRName: signalR.outputs.name
  }
}

module apim 'modules/apim.bicep' = {
  name: 'apim'
  params: {
    location: location
    tags: tags
    name: 'apim-${token}'
    publisherEmail: apimPublisherEmail
    publisherName: apimPublisherName
    backendHostName: functionApp.outputs.defaultHostName
    authIssuer: authIssuer
    authAudience: authAudience
    authOpenIdConfigUrl: authOpenIdConfigUrl
    authClockSkewSeconds: authLeewaySeconds
    corsAllowedOrigins: corsAllowedOrigins
  }
}

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOST string = functionApp.outputs.defaultHostName
output API_GATEWAY_URL string = apim.outputs.gatewayUrl
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output KEY_VAULT_NAME string = keyVault.outputs.name
output SIGNALR_HOST string = signalR.outputs.hostName
