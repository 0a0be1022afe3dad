namespace Psm.TestSupport;

/// <summary>Small real images for upload tests.</summary>
public static class Images
{
    /// <summary>A 96 x 32 PNG (a green square and a navy bar on white), 148 bytes, made with zlib and checked by a browser.</summary>
    public static byte[] Logo { get; } = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAGAAAAAgCAIAAABiouoDAAAAW0lEQVR42u3ZMQ0AIAxFwe4IwAdGMIAG/G/ggIGF0NzLV3Bb01g6FggAAXoCVGa/HiBAgAABApQJqLbxxQABAgQIECBAgAABAgQoE5BjFRAgQIAAeRwCAgQoWRtKIpMYV8SY+QAAAABJRU5ErkJggg==");
}
