// Service Bus namespace with the event topic, its subscriptions and the work queues, all generated
// from ../messaging.json: the same file devhost's local bus reads, so a subscription added there
// exists in both places. Shape:
//   {"topic": "...",
//    "subscriptions": [{"name", "eventTypes": ["OrderCreated", ...] | ["*"], "maxDeliveryCount", "lockDurationSeconds",
//                       "skipWhen"?: {"eventTypes": [...], "property": "reviewed", "equals": "false"}}],
//    "queues": [{"name", "maxDeliveryCount", "lockDurationSeconds"?}]}
// Publishers set the CloudEvent type as the message's `type` application property; a subscription
// that lists event types gets a SQL filter on it, one with ["*"] keeps the accept-all rule.
// `skipWhen` adds "and not (one of these types whose property exists and equals this value)": a
// message without the property is still delivered (devhost's bus: localbus_topology.SkipRule).

param location string
param tags object
param name string

var messaging = loadJsonContent('../messaging.json')

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    // No SAS keys: senders and receivers authenticate with Entra ID (app/rbac.bicep).
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: messaging.topic
  properties: {
    // Lets the broker drop a re-sent outbox message (same message id) within the window.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    defaultMessageTimeToLive: 'P14D'
    supportOrdering: false
  }
}

resource subscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = [
  for sub in messaging.subscriptions: {
    parent: topic
    name: sub.name
    properties: {
      maxDeliveryCount: sub.maxDeliveryCount
      lockDuration: 'PT${sub.lockDurationSeconds}S'
      deadLetteringOnMessageExpiration: true
      deadLetteringOnFilterEvaluationExceptions: true
    }
  }
]

// One rule per filtered subscription. It is named $Default so it replaces the accept-all rule
// Service Bus creates with every subscription (otherwise both rules would match and the filter
// would let everything through).
resource filters 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview' = [
  for (sub, i) in messaging.subscriptions: if (!contains(sub.eventTypes, '*')) {
    parent: subscriptions[i]
    name: '$Default'
    properties: {
      filterType: 'SqlFilter'
      sqlFilter: {
        sqlExpression: sub.?skipWhen == null ? 'user.type IN (${join(map(sub.eventTypes, t => '\'${t}\''), ', ')})' : 'user.type IN (${join(map(sub.eventTypes, t => '\'${t}\''), ', ')}) AND NOT (user.type IN (${join(map(sub.?skipWhen.?eventTypes ?? [], t => '\'${t}\''), ', ')}) AND EXISTS(user.${sub.?skipWhen.?property}) AND user.${sub.?skipWhen.?property} = \'${sub.?skipWhen.?equals}\')'
      }
    }
  }
]

resource queues 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [
  for queue in messaging.queues: {
    parent: namespace
    name: queue.name
    properties: {
      maxDeliveryCount: queue.maxDeliveryCount
      lockDuration: 'PT${queue.?lockDurationSeconds ?? 60}S'
      deadLetteringOnMessageExpiration: true
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
    }
  }
]

output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (suffix differs per cloud).
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
output topicName string = topic.name
