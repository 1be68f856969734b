using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// A kind-specific column of <c>kubectl get</c> output (meta/v1 TableColumnDefinition plus how to compute
/// the cell). Name (first) and Age (last) are added for every kind by <see cref="TableWriter"/>.
/// </summary>
/// <param name="Type">The OpenAPI type of the cell: <c>string</c>, <c>integer</c>, ...</param>
/// <param name="Cell">The cell of one object; null prints as <c>&lt;none&gt;</c>.</param>
public sealed record TableColumn(string Name, string Type, string Description, Func<JsonObject, JsonNode?> Cell);
