// Key Vault in RBAC mode for the app's secrets. The app reads them as Key Vault references in its
// app settings (resolved by the platform with the app's managed identity, "Key Vault Secrets User"
// granted in app/rbac.bicep), so the code only ever sees environment variables.

param location string
param tags object
param name string
@description('Purge protection cannot be turned off again; keep it on for production.')
param enablePurgeProtection bool = true
@secure()
@description('Base64 AES-256 card-vault key. Empty: the secret is not written by this deployment (set it once with az keyvault secret set, see docs/deployment.md).')
param cardVaultKey string = ''

var cardVaultKeySecretName = 'card-vault-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM refuses "false" here once it was true, so send null (leave unset) instead of false.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource cardVaultKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(cardVaultKey)) {
  parent: vault
  name: cardVaultKeySecretName
  properties: {
    value: cardVaultKey
    contentType: 'base64 AES-256 key'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output cardVaultKeySecretName string = cardVaultKeySecretName
