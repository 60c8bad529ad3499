using System.Buffers.Binary;

namespace Fruits.Models;

/// <summary>A straight-line ONNX graph of initializers (float32, int8, uint8, int32) and nodes, serialized deterministically.</summary>
public sealed class OnnxGraph(string name)
{
    private const int FloatType = 1;
    private const int Uint8Type = 2;
    private const int Int8Type = 3;
    private const int Int32Type = 6;
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private int _counter;

    public string Initializer(string tensorName, int[] dims, ReadOnlySpan<float> data)
    {
        var raw = new byte[data.Length * sizeof(float)];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        }

        return RawInitializer(tensorName, dims, FloatType, raw);
    }

    public string Initializer(string tensorName, int[] dims, ReadOnlySpan<sbyte> data) =>
        RawInitializer(tensorName, dims, Int8Type, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));

    public string Initializer(string tensorName, int[] dims, ReadOnlySpan<byte> data) => RawInitializer(tensorName, dims, Uint8Type, data);

    public string Initializer(string tensorName, int[] dims, ReadOnlySpan<int> data)
    {
        var raw = new byte[data.Length * sizeof(int)];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), data[i]);
        }

        return RawInitializer(tensorName, dims, Int32Type, raw);
    }

    private string RawInitializer(string tensorName, int[] dims, int dataType, ReadOnlySpan<byte> raw)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims)
        {
            tensor.Varint(1, dim);
        }

        tensor.Varint(2, dataType).String(8, tensorName).Bytes(9, raw);
        _initializers.Add(tensor);
        return tensorName;
    }

    /// <summary>Adds a node; returns the name of its single output.</summary>
    public string Node(string opType, string[] inputs, IReadOnlyList<(string Name, object Value)>? attributes = null)
    {
        var output = $"{opType.ToLowerInvariant()}_{_counter++}";
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        node.String(2, output).String(3, output).String(4, opType);
        foreach (var (attributeName, value) in attributes ?? [])
        {
            var attribute = new ProtoWriter().String(1, attributeName);
            switch (value)
            {
                case int i:
                    attribute.Varint(3, i).Varint(20, 2);
                    break;
                case int[] ints:
                    foreach (var v in ints)
                    {
                        attribute.Varint(8, v);
                    }

                    attribute.Varint(20, 7);
                    break;
                default:
                    throw new ArgumentException($"unsupported attribute value {value}");
            }

            node.Message(5, attribute);
        }

        _nodes.Add(node);
        return output;
    }

    /// <summary>The ModelProto bytes with a dynamic first dimension named "N" on input and output.</summary>
    /// <param name="extraOutputs">Intermediate float tensors also exposed as outputs (calibration reads them).</param>
    public byte[] ToModel(string input, int[] inputDims, string output, string outputName, int[] outputDims, int opset, IReadOnlyList<string>? extraOutputs = null)
    {
        // Rename the last node's output to the public name by routing it through Identity.
        var identity = new ProtoWriter().String(1, output).String(2, outputName).String(3, outputName).String(4, "Identity");
        var graph = new ProtoWriter();
        foreach (var node in _nodes)
        {
            graph.Message(1, node);
        }

        graph.Message(1, identity).String(2, name);
        foreach (var initializer in _initializers)
        {
            graph.Message(5, initializer);
        }

        graph.Message(11, ValueInfo(input, inputDims)).Message(12, ValueInfo(outputName, outputDims));
        foreach (var extra in extraOutputs ?? [])
        {
            var floatType = new ProtoWriter().Varint(1, FloatType);
            graph.Message(12, new ProtoWriter().String(1, extra).Message(2, new ProtoWriter().Message(1, floatType)));
        }

        return new ProtoWriter()
            .Varint(1, 8) // IR version 8
            .String(2, "Fruits.Models")
            .String(3, "1")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Varint(2, opset))
            .ToArray();
    }

    private static ProtoWriter ValueInfo(string valueName, int[] dims)
    {
        var shape = new ProtoWriter();
        for (var i = 0; i < dims.Length; i++)
        {
            shape.Message(1, i == 0 ? new ProtoWriter().String(2, "N") : new ProtoWriter().Varint(1, dims[i]));
        }

        var tensorType = new ProtoWriter().Varint(1, FloatType).Message(2, shape);
        return new ProtoWriter().String(1, valueName).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
