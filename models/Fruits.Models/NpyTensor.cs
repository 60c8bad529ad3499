namespace Fruits.Models;

/// <summary>A float32 tensor read from a .npy file, in C order, with its TensorFlow-layout shape.</summary>
public sealed record NpyTensor(int[] Shape, float[] Data)
{
    public int this[int axis] => Shape[axis];
}
