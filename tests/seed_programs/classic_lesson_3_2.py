# Lesson 3-2: im2col, col2im and the convolution's forward and backward written with them.
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
# The lesson shows these functions and methods; the completed lines run them on a batch of
# images with the parameters of a ConvLayer, as the layer's forward and backward would.
import numpy as np

from scratchnet.classic import Layers
from scratchnet.classic.layers import col2im, im2col

x = np.random.rand(10, 3, 7, 7)  # (completed)
layer = Layers.ConvLayer(4, (3, 3), stride=2, pad=1)  # (completed)
layer_out = layer.forward(x)  # (completed) creates layer.params['W'] from x
param = layer.params['W']  # (completed) the lesson's self.param
stride, pad, kernel_size = 2, 1, (3, 3)  # (completed)

# Convolution Calculation (the lesson's forward)
fn, fc, fh, fw = param.shape
n, c, h, w = x.shape
out_h = int(1 + (h + 2 * pad - fh) / stride)
out_w = int(1 + (w + 2 * pad - fw) / stride)
col = im2col(x, kernel_size[0], kernel_size[1], stride, pad)
col_param = param.reshape((fn, -1)).T
out = np.dot(col, col_param)
out = out.reshape(n, out_h, out_w, -1).transpose(0, 3, 1, 2)

# the lesson's backward
dout_image = np.random.rand(*out.shape)  # (completed)
dout = dout_image.transpose(0, 2, 3, 1).reshape(-1, fn)
grad = np.dot(col.T, dout)
grad = grad.transpose(1, 0).reshape(fn, c, fh, fw)
dcol = np.dot(dout, col_param.T)
dx = col2im(dcol, x.shape, fh, fw, stride, pad)
print("out", out.shape, "grad", grad.shape, "dx", dx.shape)  # (completed)
