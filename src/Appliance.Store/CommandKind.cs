namespace Appliance.Store;

internal enum CommandKind : byte
{
    Create,
    Update,
    Delete,
    Compact,
}
