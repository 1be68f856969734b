namespace Appliance.Api;

/// <summary>The label selector operators of apimachinery <c>pkg/labels/selector.go</c> (set-based and equality-based).</summary>
public enum SelectorOperator
{
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}
