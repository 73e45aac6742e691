using System.Globalization;

namespace Groundwork.Models.Gguf;

/// <summary>
/// One GGUF metadata value. Scalars are held boxed in <see cref="Value"/> as their exact CLR type
/// (byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double); arrays are held as a typed
/// CLR array of the element type (e.g. <c>int[]</c>, <c>string[]</c>), and nested arrays as <c>GgufValue[]</c>
/// whose elements are themselves arrays.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, object value, GgufValueType elementType = default)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays, the element type (<see cref="GgufValueType.Array"/> for nested arrays); otherwise meaningless.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The boxed scalar or the typed CLR array (see the type's remarks).</summary>
    public object Value { get; }

    /// <summary>Whether this is an array.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The number of elements of an array; 0 for scalars.</summary>
    public int ArrayLength => Value is Array a && IsArray ? a.Length : 0;

    /// <summary>Whether the value is an integer of any width.</summary>
    public bool IsInteger => IsIntegerType(Type);

    /// <summary>The value as a string; throws <see cref="InvalidCastException"/> when it is not one.</summary>
    public string AsString() => Value as string ?? throw new InvalidCastException($"GGUF value is {Type}, not String");

    /// <summary>The value as a bool; throws <see cref="InvalidCastException"/> when it is not one.</summary>
    public bool AsBool() => Value is bool b ? b : throw new InvalidCastException($"GGUF value is {Type}, not Bool");

    /// <summary>An integer of any width as <see cref="long"/>; throws <see cref="InvalidCastException"/> otherwise or on overflow.</summary>
    public long AsInt64() => Value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        ulong v => throw new InvalidCastException($"GGUF UInt64 value {v} does not fit in Int64"),
        _ => throw new InvalidCastException($"GGUF value is {Type}, not an integer"),
    };

    /// <summary>A float, double or integer as <see cref="double"/>; throws <see cref="InvalidCastException"/> otherwise.</summary>
    public double AsDouble() => Value switch
    {
        float f => f, double d => d,
        _ when IsInteger => AsInt64(),
        _ => throw new InvalidCastException($"GGUF value is {Type}, not a number"),
    };

    /// <summary>The typed array of an array value (e.g. <c>AsArray&lt;int&gt;()</c> for an Int32 array); throws when the element type differs.</summary>
    public T[] AsArray<T>() => Value is T[] a && IsArray
        ? a
        : throw new InvalidCastException($"GGUF value is {Describe()}, not an array of {typeof(T).Name}");

    /// <summary>A short description such as "Array[Int32]" or "String".</summary>
    public string Describe() => IsArray ? $"Array[{ElementType}]" : Type.ToString();

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        string s => s,
        Array a => $"{Describe()}({a.Length})",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };

    /// <summary>A UInt8 value.</summary>
    public static GgufValue FromUInt8(byte v) => new(GgufValueType.UInt8, v);
    /// <summary>An Int8 value.</summary>
    public static GgufValue FromInt8(sbyte v) => new(GgufValueType.Int8, v);
    /// <summary>A UInt16 value.</summary>
    public static GgufValue FromUInt16(ushort v) => new(GgufValueType.UInt16, v);
    /// <summary>An Int16 value.</summary>
    public static GgufValue FromInt16(short v) => new(GgufValueType.Int16, v);
    /// <summary>A UInt32 value.</summary>
    public static GgufValue FromUInt32(uint v) => new(GgufValueType.UInt32, v);
    /// <summary>An Int32 value.</summary>
    public static GgufValue FromInt32(int v) => new(GgufValueType.Int32, v);
    /// <summary>A Float32 value.</summary>
    public static GgufValue FromFloat32(float v) => new(GgufValueType.Float32, v);
    /// <summary>A Bool value.</summary>
    public static GgufValue FromBool(bool v) => new(GgufValueType.Bool, v);
    /// <summary>A String value.</summary>
    public static GgufValue FromString(string v) => new(GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));
    /// <summary>A UInt64 value.</summary>
    public static GgufValue FromUInt64(ulong v) => new(GgufValueType.UInt64, v);
    /// <summary>An Int64 value.</summary>
    public static GgufValue FromInt64(long v) => new(GgufValueType.Int64, v);
    /// <summary>A Float64 value.</summary>
    public static GgufValue FromFloat64(double v) => new(GgufValueType.Float64, v);

    /// <summary>An array of UInt8.</summary>
    public static GgufValue FromArray(byte[] items) => Arr(GgufValueType.UInt8, items);
    /// <summary>An array of Int8.</summary>
    public static GgufValue FromArray(sbyte[] items) => Arr(GgufValueType.Int8, items);
    /// <summary>An array of UInt16.</summary>
    public static GgufValue FromArray(ushort[] items) => Arr(GgufValueType.UInt16, items);
    /// <summary>An array of Int16.</summary>
    public static GgufValue FromArray(short[] items) => Arr(GgufValueType.Int16, items);
    /// <summary>An array of UInt32.</summary>
    public static GgufValue FromArray(uint[] items) => Arr(GgufValueType.UInt32, items);
    /// <summary>An array of Int32.</summary>
    public static GgufValue FromArray(int[] items) => Arr(GgufValueType.Int32, items);
    /// <summary>An array of Float32.</summary>
    public static GgufValue FromArray(float[] items) => Arr(GgufValueType.Float32, items);
    /// <summary>An array of Bool.</summary>
    public static GgufValue FromArray(bool[] items) => Arr(GgufValueType.Bool, items);
    /// <summary>An array of String.</summary>
    public static GgufValue FromArray(string[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (Array.IndexOf(items, null) >= 0) throw new ArgumentException("string array contains null", nameof(items));
        return Arr(GgufValueType.String, items);
    }
    /// <summary>An array of UInt64.</summary>
    public static GgufValue FromArray(ulong[] items) => Arr(GgufValueType.UInt64, items);
    /// <summary>An array of Int64.</summary>
    public static GgufValue FromArray(long[] items) => Arr(GgufValueType.Int64, items);
    /// <summary>An array of Float64.</summary>
    public static GgufValue FromArray(double[] items) => Arr(GgufValueType.Float64, items);

    /// <summary>An array of arrays (GGUF allows nesting); every element must itself be an array value.</summary>
    public static GgufValue FromArray(GgufValue[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        foreach (var a in arrays)
        {
            if (a is null || !a.IsArray) throw new ArgumentException("nested GGUF arrays must contain only array values", nameof(arrays));
        }
        return Arr(GgufValueType.Array, arrays);
    }

    private static GgufValue Arr(GgufValueType elementType, Array items)
        => new(GgufValueType.Array, items ?? throw new ArgumentNullException(nameof(items)), elementType);

    internal static GgufValue ArrayOf(GgufValueType elementType, Array items) => new(GgufValueType.Array, items, elementType);

    internal static bool IsIntegerType(GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Size in bytes of a fixed-size scalar type; 0 for String and Array.</summary>
    internal static int ScalarSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };
}
