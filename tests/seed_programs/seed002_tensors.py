# Seed 002, "상수 텐서 / 시퀀스 텐서 / 변수 텐서": the three tensor-creation snippets, one after the other.
# Their placeholders (value, shape, start, stop, num, limit, delta) are set by the test.
import scratchnet.tf as tf  # scratchnet: import tensorflow as tf
 
#상수형 텐서 생성
tensor_a = tf.constant(value, dtype=None, shape=None, name=None)
 
#모든 원소 값이 0 인 텐서 생성
tensor_b = tf.zeros(shape, dtype=tf.float32,name=None)
 
#모든 원소 값이 1인 텐서 생성
tensor_c = tf.ones(shape, dtype=tf.float32,name=None)
 
# start에서 stop까지 증가하는 num 개수 데이터를 가진 텐서 생성
tensor_d = tf.linspace(start, stop, num,name=None)

import scratchnet.tf as tf  # scratchnet: import tensorflow as tf
 
# start에서 limit까지 delta씩 증가하는 데이터를 가진 텐서 생성
tensor_e = tf.range(start, limit, delta, name=None)

import scratchnet.tf as tf  # scratchnet: import tensorflow as tf
 
#변수형 텐서 생성
tensor_f = tf.Variable(initial_value=None, dtype=None, name=None)
