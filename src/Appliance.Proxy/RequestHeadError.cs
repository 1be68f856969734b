namespace Appliance.Proxy;

/// <summary>
/// Why a request head was rejected. Every value maps to a 400 response and a closed connection:
/// after a framing error the byte stream cannot be trusted to find the next request (RFC 9112 section 6.3).
/// </summary>
public enum RequestHeadError
{
    /// <summary>Not rejected (complete, or more data needed).</summary>
    None,

    /// <summary>No end of the head within the head size limit.</summary>
    HeadTooLarge,

    /// <summary>The request line is longer than its limit.</summary>
    RequestLineTooLong,

    /// <summary>More header fields than the limit.</summary>
    TooManyHeaderFields,

    /// <summary>The request line is not <c>method SP request-target SP HTTP-version</c> (RFC 9112 section 3).</summary>
    InvalidRequestLine,

    /// <summary>The method is not a token (RFC 9110 section 9.1).</summary>
    InvalidMethod,

    /// <summary>The request-target contains a character RFC 3986 does not allow, or a bad percent-encoding.</summary>
    InvalidRequestTarget,

    /// <summary>
    /// The request-target is absolute-form, authority-form or asterisk-form. This is a gateway for
    /// <c>/k8s/clusters/</c>, not a forward proxy: an absolute-form target would give a second authority
    /// that can disagree with Host (RFC 9112 section 3.2.2), so only origin-form is accepted.
    /// </summary>
    TargetNotOriginForm,

    /// <summary>Not HTTP/1.1 or HTTP/1.0 (RFC 9112 section 2.3; the name is case-sensitive).</summary>
    UnsupportedVersion,

    /// <summary>A CR not followed by LF (RFC 9112 section 2.2).</summary>
    BareCarriageReturn,

    /// <summary>A line ending in LF without CR; accepted by some parsers, so a desync risk.</summary>
    BareLineFeed,

    /// <summary>A field line starting with whitespace (obsolete line folding, RFC 9112 section 5.2).</summary>
    ObsoleteLineFolding,

    /// <summary>A field line without a colon.</summary>
    MissingColon,

    /// <summary>Whitespace between the field name and the colon (RFC 9112 section 5.1: MUST reject).</summary>
    WhitespaceBeforeColon,

    /// <summary>An empty field name or one that is not a token.</summary>
    InvalidFieldName,

    /// <summary>A field value with NUL, a control character or DEL (RFC 9110 section 5.5).</summary>
    InvalidFieldValue,

    /// <summary>An HTTP/1.1 request without Host (RFC 9112 section 3.2: MUST respond 400).</summary>
    MissingHost,

    /// <summary>More than one Host field (RFC 9112 section 3.2: MUST respond 400).</summary>
    MultipleHost,

    /// <summary>Content-Length is not a non-negative decimal that fits in 63 bits.</summary>
    InvalidContentLength,

    /// <summary>Content-Length fields with different values (RFC 9112 section 6.3, rule 5).</summary>
    ConflictingContentLength,

    /// <summary>Both Content-Length and Transfer-Encoding: the classic CL.TE/TE.CL smuggling shape (RFC 9112 section 6.3, rule 3).</summary>
    ContentLengthWithTransferEncoding,

    /// <summary>Transfer-Encoding whose final coding is not chunked: the length cannot be determined (RFC 9112 section 6.3, rule 4).</summary>
    TransferEncodingNotChunked,

    /// <summary>A transfer coding other than a single chunked; the proxy does not decode codings and chunked twice is forbidden (RFC 9112 section 7).</summary>
    UnsupportedTransferCoding,

    /// <summary>Transfer-Encoding in an HTTP/1.0 request: framing is faulty by definition (RFC 9112 section 6.1).</summary>
    TransferEncodingInHttp10,
}
